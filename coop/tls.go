package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"coop/raftdata"
)

// tlsFiles are the certificate, key and CA that --tls-cert, --tls-key and
// --tls-ca name, read and checked.
type tlsFiles struct {
	cert tls.Certificate // empty without --tls-cert
	ca   *x509.CertPool  // nil without --tls-ca
}

// readTLSFiles reads the files cfg names and reports every problem, one
// sentence each. Without --tls-cert it returns an empty tlsFiles.
func readTLSFiles(cfg Config) (tlsFiles, []error) {
	var out tlsFiles
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	switch {
	case cfg.TLSCert == "" && cfg.TLSKey == "" && cfg.TLSCA == "":
		return out, nil
	case cfg.TLSCert == "" && cfg.TLSKey != "":
		bad("--tls-key needs --tls-cert: give the certificate the key belongs to")
	case cfg.TLSCert != "" && cfg.TLSKey == "":
		bad("--tls-cert needs --tls-key: give the certificate's private key")
	case cfg.TLSCert == "" && cfg.TLSCA != "":
		bad("--tls-ca needs --tls-cert and --tls-key: a node proves itself to its peers with a certificate from the CA")
	}
	certPEM := readPEMFile("--tls-cert", cfg.TLSCert, &errs)
	keyPEM := readPEMFile("--tls-key", cfg.TLSKey, &errs)
	caPEM := readPEMFile("--tls-ca", cfg.TLSCA, &errs)

	if certPEM != nil && !hasPEMBlock(certPEM, "CERTIFICATE") {
		bad("--tls-cert %q holds no PEM certificate", cfg.TLSCert)
		certPEM = nil
	}
	if keyPEM != nil && !hasPEMBlock(keyPEM, "PRIVATE KEY") {
		bad("--tls-key %q holds no PEM private key", cfg.TLSKey)
		keyPEM = nil
	}
	if certPEM != nil && keyPEM != nil {
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		switch {
		case err != nil && strings.Contains(err.Error(), "does not match"):
			bad("--tls-key %q does not match the certificate in --tls-cert %q", cfg.TLSKey, cfg.TLSCert)
		case err != nil:
			bad("--tls-cert %q and --tls-key %q: %v", cfg.TLSCert, cfg.TLSKey, err)
		case time.Now().After(cert.Leaf.NotAfter):
			bad("--tls-cert %q expired on %s", cfg.TLSCert, cert.Leaf.NotAfter.Format(time.DateOnly))
		default:
			out.cert = cert
		}
	}
	if caPEM != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			bad("--tls-ca %q holds no PEM certificate", cfg.TLSCA)
		} else {
			out.ca = pool
		}
	}
	if out.ca != nil && out.cert.Leaf != nil {
		if err := verifyNodeCert(out.cert, out.ca); err != nil {
			bad("--tls-cert %q does not fit the CA in --tls-ca %q: %v", cfg.TLSCert, cfg.TLSCA, err)
		}
	}
	return out, errs
}

// hasPEMBlock tells whether data holds a PEM block whose type ends with
// kind ("CERTIFICATE", "PRIVATE KEY" for PKCS#8, RSA and EC keys).
func hasPEMBlock(data []byte, kind string) bool {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return false
		}
		if strings.HasSuffix(b.Type, kind) {
			return true
		}
	}
}

// readPEMFile reads a file a flag names; nil when the flag is empty or the
// file cannot be read (the problem is added to errs).
func readPEMFile(flagName, path string, errs *[]error) []byte {
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	switch {
	case err != nil && errors.Is(err, os.ErrNotExist):
		*errs = append(*errs, fmt.Errorf("%s %q: no such file", flagName, path))
		return nil
	case err != nil:
		*errs = append(*errs, fmt.Errorf("%s %q: cannot read it (%v)", flagName, path, errors.Unwrap(err)))
		return nil
	}
	return data
}

// verifyNodeCert checks that a node's certificate is signed by the CA and
// serves both ends of a node-to-node connection.
func verifyNodeCert(cert tls.Certificate, ca *x509.CertPool) error {
	inter := x509.NewCertPool()
	for _, der := range cert.Certificate[1:] {
		if c, err := x509.ParseCertificate(der); err == nil {
			inter.AddCert(c)
		}
	}
	for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		if _, err := cert.Leaf.Verify(x509.VerifyOptions{Roots: ca, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
			return err
		}
	}
	return nil
}

// loadTLS reads cfg's certificate files: the HTTP server's TLS
// configuration (nil: plain HTTP) and the node's mutual TLS identity in
// the cluster (nil without --tls-ca).
func loadTLS(cfg Config) (*tls.Config, *raftdata.TLS, error) {
	files, errs := readTLSFiles(cfg)
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	if cfg.TLSCert == "" {
		return nil, nil, nil
	}
	if files.ca == nil {
		return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{files.cert}}, nil, nil
	}
	cluster := &raftdata.TLS{Certificate: files.cert, CA: files.ca}
	return cluster.HTTPServerConfig(), cluster, nil
}
