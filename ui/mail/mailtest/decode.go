package mailtest

import (
	"io"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// decodeBody undoes the body's transfer encoding.
func decodeBody(m *mail.Message) io.Reader {
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		return quotedprintable.NewReader(m.Body)
	}
	return m.Body
}
