package pooling

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCSVText(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"http://x\")": "'=HYPERLINK(\"http://x\")",
		"+33 6 12":                 "'+33 6 12",
		"-1+1":                     "'-1+1",
		"@SUM(A1)":                 "'@SUM(A1)",
		"\tx":                      "'\tx",
		"\rx":                      "'\rx",
		"north":                    "north",
		"2025-01":                  "2025-01",
		"a=b":                      "a=b",
		"":                         "",
		"'already":                 "'already",
	} {
		if got := CSVText(in); got != want {
			t.Errorf("CSVText(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every file of coop that writes CSV passes its text cells through
// CSVText: a new writer that forgets it fails here.
func TestEveryCSVWriterUsesCSVText(t *testing.T) {
	var writers int
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !strings.Contains(string(src), "csv.NewWriter(") {
			return nil
		}
		writers++
		if !strings.Contains(string(src), "CSVText(") {
			t.Errorf("%s writes CSV without pooling.CSVText on its text cells", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if writers < 2 {
		t.Fatalf("found %d CSV writers, want at least the export and results.csv", writers)
	}
}
