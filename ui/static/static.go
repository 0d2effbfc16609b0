// Package static holds the web pages' assets, embedded in the binary and
// served under content-hashed URLs, so that a browser may cache them for a
// year and still fetch a new version the moment it changes.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"
)

//go:embed app.css favicon.svg live.js upload.js ballot.js forms.js
var files embed.FS

// Prefix is where the assets are served.
const Prefix = "/static/"

// Asset is one embedded file.
type Asset struct {
	Name        string // app.css
	URL         string // /static/app.1a2b3c4d5e6f.css
	ContentType string
	Body        []byte
}

// Assets maps each embedded file to its hashed URL.
type Assets struct {
	byName map[string]Asset
	byURL  map[string]Asset
}

// Load reads the embedded files and names each by its content hash.
func Load() *Assets {
	a := &Assets{byName: map[string]Asset{}, byURL: map[string]Asset{}}
	entries, _ := fs.ReadDir(files, ".")
	for _, e := range entries {
		body, err := files.ReadFile(e.Name())
		if err != nil || e.IsDir() {
			continue
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(e.Name())
		asset := Asset{
			Name:        e.Name(),
			URL:         Prefix + strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:6]) + ext,
			ContentType: mime.TypeByExtension(ext),
			Body:        body,
		}
		if asset.ContentType == "" {
			asset.ContentType = "application/octet-stream"
		}
		a.byName[asset.Name] = asset
		a.byURL[asset.URL] = asset
	}
	return a
}

// URL is the hashed URL of the file called name, "" if there is none.
func (a *Assets) URL(name string) string { return a.byName[name].URL }

// Lookup finds the asset served at urlPath.
func (a *Assets) Lookup(urlPath string) (Asset, bool) {
	asset, ok := a.byURL[urlPath]
	return asset, ok
}
