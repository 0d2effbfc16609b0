package web_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"coop/members"
	"coop/raftdata"
	"coop/ui/i18n"
	"coop/ui/server"
	"coop/ui/uitest"
	"coop/ui/web"
)

// refusalSources are the packages whose refusals a page can show.
var refusalSources = []string{"../../members", "../../governance", "../../pooling", "../../proposals", "../../raftdata", "../server", "../api", "."}

// reasonArg is where each refusal builder takes its reason: raftdata.Refuse
// second, the packages' own helpers (invalid, and the closures that
// gather a form's problems) first.
var reasonArg = map[string]int{"Refuse": 1, "Invalid": 0, "bad": 0, "fbad": 0}

// dynamicReasons are the reasons built from a value rather than written
// at the call: ErrAccountInactive ("account_" + status), a token name's
// problems ("token_" + the name's reason), and the month range of a
// schema (monthRangeProblem returns its reason).
func dynamicReasons() []string {
	out := []string{"account_" + string(members.StatusSuspended), "account_" + string(members.StatusDeleted),
		"month_range_both", "month_range_format", "month_range_years", "month_range_order", "month_range_span"}
	for _, r := range []string{"name_required", "name_utf8", "name_long", "name_control"} {
		out = append(out, "token_"+r)
	}
	return out
}

// walkRefusals reads the Go source of the packages (tests left out) and
// returns every reason given to a refusal builder as a literal, and where
// a builder got one that is not a literal, or where raftdata.Errorf (a
// refusal without a reason) is still called outside raftdata.
func walkRefusals(t *testing.T) (reasons map[string]string, problems []string) {
	t.Helper()
	reasons = map[string]string{}
	fset := token.NewFileSet()
	for _, dir := range refusalSources {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != dir && (d.Name() == "testdata" || strings.HasSuffix(d.Name(), "test") || dir == "." && filepath.Dir(path) != ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				var name string
				switch fn := call.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
					if x, ok := fn.X.(*ast.Ident); ok && x.Name == "raftdata" && name == "Errorf" {
						problems = append(problems, fset.Position(call.Pos()).String()+": raftdata.Errorf gives no reason: use raftdata.Refuse")
					}
				}
				i, ok := reasonArg[name]
				if !ok || len(call.Args) <= i {
					return true
				}
				if name == "Refuse" && f.Name.Name == "raftdata" && len(call.Args) > 1 {
					if id, ok := call.Args[1].(*ast.Ident); ok && id.Name == "reason" {
						return true // the builder itself
					}
				}
				if bin, ok := call.Args[i].(*ast.BinaryExpr); ok {
					if l, ok := bin.X.(*ast.BasicLit); ok && l.Value == `"account_"` {
						return true // ErrAccountInactive: dynamicReasons
					}
				}
				lit, ok := call.Args[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					if id, ok := call.Args[i].(*ast.Ident); ok && (id.Name == "ReasonMalformed" || id.Name == "reason") {
						return true // raftdata.Malformed; a closure passing its reason on
					}
					problems = append(problems, fset.Position(call.Pos()).String()+": "+name+" takes a reason that is not a literal")
					return true
				}
				reason, _ := strconv.Unquote(lit.Value)
				if _, seen := reasons[reason]; !seen {
					reasons[reason] = fset.Position(call.Pos()).String()
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range dynamicReasons() {
		reasons[r] = "dynamic"
	}
	reasons[raftdata.ReasonMalformed] = "raftdata.Malformed"
	return reasons, problems
}

// Every refusal a page can show names its reason, and the catalogue has
// the reason's sentence in both languages: a page never shows the
// services' English, and never a reason's key.
func TestRefusals_EveryReasonInTheCatalogue(t *testing.T) {
	reasons, problems := walkRefusals(t)
	for _, p := range problems {
		t.Error(p)
	}
	if len(reasons) < 150 {
		t.Fatalf("found %d reasons: the walk misses the builders", len(reasons))
	}
	cat := i18n.New()
	for _, lang := range []string{i18n.French, i18n.English} {
		tr := cat.For(lang)
		for _, r := range slices.Sorted(func(yield func(string) bool) {
			for r := range reasons {
				if !yield(r) {
					return
				}
			}
		}) {
			if !tr.Has("err." + r) {
				t.Errorf("%s: no err.%s for the reason given at %s", lang, r, reasons[r])
			}
		}
	}
	// ballot.js translates the refusals it meets with the sentences the
	// page gives it.
	for _, r := range web.SecretRefusals {
		for _, lang := range []string{i18n.French, i18n.English} {
			if !cat.For(lang).Has("err." + r) {
				t.Errorf("%s: no err.%s for ballot.js", lang, r)
			}
		}
	}
	// Each code has its sentence too, for the refusals of raftdata and
	// fiber that carry none.
	for _, code := range web.RefusalCodes {
		for _, lang := range []string{i18n.French, i18n.English} {
			if !cat.For(lang).Has("err.code." + string(code)) {
				t.Errorf("%s: no err.code.%s", lang, code)
			}
		}
	}
}

// A refusal reads in the page's language, its parameters written as the
// language writes them (numbers, dates, roles), and each problem next to
// its field.
func TestRefusals_TranslatedByReason(t *testing.T) {
	fr := i18n.New().For(i18n.French)
	short := raftdata.Refuse(raftdata.CodeInvalid, "password_short", "the password is too short: at least %d characters", 12).With("min", 12).On("password")
	v := web.RefusalView(fr, *short)
	if v.Text == "" || strings.Contains(v.Text, "password") || !strings.Contains(v.Text, "12") || v.For("password") != v.Text {
		t.Fatalf("password_short in French: %+v", v)
	}
	role := raftdata.Refuse(raftdata.CodeForbidden, "role_needed", "this needs the %s role", "researcher").With("role", "researcher")
	if got := web.RefusalText(fr, *role); !strings.Contains(got, fr.T("role.researcher")) || strings.Contains(got, "researcher") {
		t.Fatalf("role_needed in French: %q", got)
	}
	eps := raftdata.Refuse(raftdata.CodeInvalid, "epsilon_total", "epsilon_total must be above 0 and at most %g, got %g", 2.0, 5.0).
		With("max", 2.0).With("got", 5.0).On("epsilon_total")
	if got := web.RefusalText(fr, *eps); !strings.Contains(got, "2") || strings.Contains(got, "epsilon_total") || strings.Contains(got, "{") {
		t.Fatalf("epsilon_total in French: %q", got)
	}
	var several raftdata.Problems
	several.Add(raftdata.Refuse(raftdata.CodeInvalid, "proposal_title", "a title is required").With("max", 200).On("title"))
	several.Add(eps)
	err := several.Err(raftdata.CodeInvalid, "")
	v = web.RefusalView(fr, server.AsCoded(err))
	if len(v.List) != 2 || v.For("title") == "" || v.For("epsilon_total") == "" || v.Text != fr.N("err.problems", 2) {
		t.Fatalf("two problems in French: %+v", v)
	}
	typed := raftdata.Refuse(raftdata.CodeInvalid, "not_number", "not a number").With("value", "007")
	if got := web.RefusalText(fr, *typed); !strings.Contains(got, "« 007 »") {
		t.Fatalf("what was typed is not kept as typed: %q", got)
	}
	if got := web.RefusalText(fr, raftdata.Error{Code: raftdata.CodeConflict, Reason: "no_such_reason", Message: "English"}); got != fr.T("err.code.conflict") {
		t.Fatalf("an unknown reason reads %q, want the code's sentence", got)
	}
}

// The API's refusals keep {"error":{"code","message"}} (the message in
// English) and add the reason, its parameters, the field, and each
// problem of an input with several.
func TestRefusals_APIBody(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	resp, body := uitest.Call(t, w.App, uitest.JSONRequest("POST", "/api/v1/signup", `{"name":"Ann","email":"ann@coop.test","password":"short","accept_charter":true}`))
	e := uitest.DecodeError(t, body)
	if resp.StatusCode != 400 || e.Code != raftdata.CodeInvalid || e.Reason != "password_short" || e.Params["min"] != "12" ||
		e.Field != "password" || !strings.Contains(e.Message, "too short") {
		t.Fatalf("a short password: %d %s", resp.StatusCode, body)
	}
	req := uitest.JSONRequest("POST", "/api/v1/proposals", `{"title":"","purpose":"p","kind":"knowledge","pool":"energy",
		"query":{"aggregate":"count"},"privacy":{"min_cohort":5,"epsilon_total":9,"epsilon_per_query":0.5},"voting_minutes":60,"grant_days":30}`)
	req.Header.Set("Authorization", "Bearer "+w.Login(t, "rosalind@coop.test"))
	resp, body = uitest.Call(t, w.App, req)
	e = uitest.DecodeError(t, body)
	if resp.StatusCode != 400 || len(e.Problems) != 2 || e.Problems[0].Field != "title" || e.Problems[1].Reason != "epsilon_total" ||
		e.Problems[1].Params["max"] == "" || e.Reason != "proposal_title" {
		t.Fatalf("two problems: %d %s", resp.StatusCode, body)
	}
}
