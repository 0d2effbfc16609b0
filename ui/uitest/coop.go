package uitest

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"coop/members"
	"coop/pooling"
	"coop/proposals"
	"coop/raftdata"
	"coop/ui"
	"coop/ui/server"
)

// Coop is a real one-node coop with what the page tests need: a pool,
// a researcher who proposes, and a way to make members.
type Coop struct {
	*Env
	App        *fiber.App
	Researcher members.Account
}

func NewCoop(t *testing.T) *Coop {
	t.Helper()
	return CoopOn(t, OpenEnv(t))
}

// CoopOn is NewCoop on an environment already open.
func CoopOn(t *testing.T, env *Env) *Coop {
	t.Helper()
	ctx := context.Background()
	CreateEnergyPool(t, env)
	w := &Coop{Env: env, App: ui.New(env.Deps)}
	w.Researcher = w.Member(t, "Rosalind", "rosalind@coop.test")
	op := w.Session(t, "op@coop.test")
	if err := env.Members.GrantRole(ctx, op, w.Researcher.ID, "researcher"); err != nil {
		t.Fatal(err)
	}
	return w
}

// CreateEnergyPool creates the "energy" pool the page tests use: kwh
// (0 to 100), region (north or south) and month.
func CreateEnergyPool(t *testing.T, env *Env) {
	t.Helper()
	ctx := context.Background()
	lo, hi := 0.0, 100.0
	_, err := env.Deps.Pools.CreatePool(ctx, pooling.Pool{ID: "energy", Title: "Home energy",
		Fields: []pooling.Field{
			{Name: "kwh", Type: "number", Min: &lo, Max: &hi, Unit: "kWh"},
			{Name: "region", Type: "category", Values: []string{"north", "south"}},
			{Name: "month", Type: "month"},
		},
		Documentation: pooling.Documentation{Provenance: "Meter readings typed in by members", CollectionMethod: "Monthly form",
			UpdateFrequency: "Monthly", Format: "CSV or JSON", Pseudonymisation: "Records carry a member key, never a name"}})
	if err != nil {
		t.Fatal(err)
	}
}

// Member signs a person up (charter signed) through the service.
func (w *Coop) Member(t *testing.T, name, email string) members.Account {
	t.Helper()
	a, err := w.Members.SignUp(context.Background(), members.SignupInput{Name: name, Email: email, Password: Password, AcceptCharter: true})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Session logs in and returns the account as the services see it.
func (w *Coop) Session(t *testing.T, email string) members.Account {
	t.Helper()
	a, err := w.Members.Authenticate(context.Background(), w.Login(t, email))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Login returns a session token.
func (w *Coop) Login(t *testing.T, email string) string {
	t.Helper()
	s, err := w.Members.Login(context.Background(), members.LoginInput{Email: email, Password: Password, Address: "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	return s.Token
}

// Propose opens a knowledge proposal on the energy pool; its electorate is
// every member who signed up before.
func (w *Coop) Propose(t *testing.T, title string) proposals.Proposal {
	t.Helper()
	r := w.Session(t, "rosalind@coop.test")
	p, err := w.Deps.Proposals.Create(context.Background(), r, proposals.Draft{
		Title:   title,
		Purpose: "Find out whether homes in the north use more energy in winter.\n\nThe answer helps plan insulation grants.",
		Kind:    "knowledge", Pool: "energy",
		Query:         &pooling.Query{Aggregate: "mean", Field: "kwh", GroupBy: []string{"region"}},
		Privacy:       &proposals.Privacy{MinCohort: 5, EpsilonTotal: 1, EpsilonPerQuery: 0.5},
		VotingMinutes: 60, GrantDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Page is one HTML answer, parsed.
type Page struct {
	Resp *http.Response
	Doc  *goquery.Document
	Body string
}

// TestID finds the elements with a data-testid.
func (p Page) TestID(id string) *goquery.Selection {
	return p.Doc.Find(`[data-testid="` + id + `"]`)
}

// Fetch runs one request through the app and parses the answer.
func Fetch(t *testing.T, app *fiber.App, req *http.Request) Page {
	t.Helper()
	resp, body := Call(t, app, req)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s %s: not HTML: %v", req.Method, req.URL, err)
	}
	return Page{Resp: resp, Doc: doc, Body: body}
}

// Browser keeps cookies between requests, as a browser does.
type Browser struct {
	t       *testing.T
	app     *fiber.App
	Lang    string
	Cookies map[string]string
}

func NewBrowser(t *testing.T, app *fiber.App, lang string) *Browser {
	return &Browser{t: t, app: app, Lang: lang, Cookies: map[string]string{}}
}

func (b *Browser) Do(req *http.Request) Page {
	b.t.Helper()
	if b.Lang != "" {
		req.Header.Set("Accept-Language", b.Lang)
	}
	for k, v := range b.Cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	p := Fetch(b.t, b.app, req)
	for _, c := range p.Resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" || !c.Expires.IsZero() && c.Expires.Before(time.Now()) {
			delete(b.Cookies, c.Name)
		} else {
			b.Cookies[c.Name] = c.Value
		}
	}
	return p
}

func (b *Browser) Get(path string) Page {
	b.t.Helper()
	return b.Do(httptest.NewRequest("GET", path, nil))
}

func (b *Browser) Post(path string, form url.Values) Page {
	b.t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.Do(req)
}

// CSRF is the _csrf value of the page's first form.
func (p Page) CSRF() string {
	v, _ := p.Doc.Find(`form input[name="_csrf"]`).First().Attr("value")
	return v
}

// BrowserAs is a browser in lang, logged in as email ("" for an
// anonymous visitor).
func (w *Coop) BrowserAs(t *testing.T, lang, email string) *Browser {
	t.Helper()
	b := NewBrowser(t, w.App, lang)
	if email != "" {
		b.Cookies[server.SessionCookie] = w.Login(t, email)
	}
	return b
}

// NATSLive is the live feed of a test coop: the store's events published
// on an embedded NATS server (in-process, no port), as coop serve does,
// and read back by plain subscriptions. It counts the open subscriptions,
// so a test knows when a page's stream is listening.
type NATSLive struct {
	nc   *nats.Conn
	Open atomic.Int64
}

func (l *NATSLive) Subscribe(subject string, fn func(subject string, data []byte)) (func(), error) {
	sub, err := l.nc.Subscribe(subject, func(m *nats.Msg) { fn(m.Subject, m.Data) })
	if err != nil {
		return nil, err
	}
	l.Open.Add(1)
	return func() {
		sub.Unsubscribe()
		l.Open.Add(-1)
	}, nil
}

// WithLive gives w's app live updates fed by an embedded NATS server; the
// app is rebuilt with them.
func (w *Coop) WithLive(t *testing.T) *NATSLive {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{DontListen: true, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("the embedded NATS server did not start")
	}
	nc, err := nats.Connect("", nats.InProcessServer(ns))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		close(done)
		nc.Close()
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	w.Store.SetPublisher(func(evs []raftdata.Event) {
		for _, ev := range evs {
			nc.Publish(ev.Subject, ev.Data)
		}
	})
	live := &NATSLive{nc: nc}
	w.Deps.Live, w.Deps.Done = live, done
	w.App = ui.New(w.Deps)
	return live
}

// LoginWith logs in with another password than the tests' own.
func (w *Coop) LoginWith(t *testing.T, email, password string) {
	t.Helper()
	if _, err := w.Members.Login(context.Background(), members.LoginInput{Email: email, Password: password, Address: "192.0.2.7"}); err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
}

// Elect runs the custodians form as Ann and has everyone else vote yes.
func (w *Coop) Elect(t *testing.T, ann *Browser) string {
	t.Helper()
	form := ann.Get("/custodians/new")
	p := ann.Post("/custodians/new", url.Values{"_csrf": {form.CSRF()}, "title": {"Custodians"}, "purpose": {"Hold our backups."},
		"emails": {"bob@coop.test\ncleo@coop.test\r\n DAN@coop.test "}, "threshold": {"2"}, "voting_minutes": {"1"}})
	if p.Resp.StatusCode != 303 || !strings.HasPrefix(p.Resp.Header.Get("Location"), "/proposals/") {
		t.Fatalf("election form: %d %s", p.Resp.StatusCode, p.TestID("form-error").Text())
	}
	id := strings.TrimPrefix(p.Resp.Header.Get("Location"), "/proposals/")
	for _, email := range []string{"bob@coop.test", "cleo@coop.test", "dan@coop.test", "rosalind@coop.test"} {
		if _, err := w.Deps.Proposals.Vote(context.Background(), w.Session(t, email), id, "yes"); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := w.Deps.Proposals.Get(context.Background(), id); got.Status != "passed" {
		t.Fatalf("election: %s %s", got.Status, got.Reason)
	}
	return id
}

// PostFile posts a multipart form with a file field, as a browser does.
func (b *Browser) PostFile(path string, fields url.Values, field, name, content string) Page {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		b.t.Fatal(err)
	}
	fw.Write([]byte(content))
	mw.Close()
	req := httptest.NewRequest("POST", path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.Do(req)
}

// ConsentAndContribute makes a member consent to the energy pool and add
// records in region.
func (w *Coop) ConsentAndContribute(t *testing.T, a members.Account, region string) {
	t.Helper()
	ctx := context.Background()
	if _, err := w.Deps.Pools.SetConsent(ctx, a.ID, "energy", true); err != nil {
		t.Fatal(err)
	}
	rows := []map[string]any{{"kwh": "40", "region": region, "month": "2025-01"}, {"kwh": "60", "region": region, "month": "2025-02"}}
	if _, err := w.Deps.Pools.Contribute(ctx, a.ID, "energy", rows, ""); err != nil {
		t.Fatal(err)
	}
}

// Text is a selection's text with its spaces collapsed.
func Text(s interface{ Text() string }) string {
	return strings.Join(strings.Fields(s.Text()), " ")
}
