package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"coop/governance"
	"coop/members"
	"coop/pooling"
	"coop/proposals"
	"coop/raftdata"
)

// The demo coop (`coop serve --demo`): two documented pools, twelve
// synthetic members who consent and contribute six months of records, a
// researcher, an open proposal to vote on, and one that passes a minute
// after the start. Every name, email and value is made up. The members'
// shared password goes to an owner-only file beside the operator's.
//
// Its rulebook (demoRules, unless --rules gives one) allows votes of a
// minute; admission stays with an operator, as in a real cooperative: the
// demo admits its own synthetic members, and a visitor who signs up waits
// on /ops like any applicant.
const (
	demoMembers      = 12
	demoAccountsFile = "demo-accounts"
	demoEmailDomain  = "demo.coop.local"
)

func ptr(f float64) *float64 { return &f }

// demoRules is the default rulebook with votes of 1 minute or more for
// every kind, so that a demo shows a vote closing.
func demoRules() governance.Rulebook {
	r := governance.Default().Clone()
	for k, rule := range r.Voting {
		rule.MinMinutes = 1
		r.Voting[k] = rule
	}
	return r
}

func demoPools() []pooling.Pool {
	doc := func(provenance, method string) pooling.Documentation {
		return pooling.Documentation{Provenance: provenance, CollectionMethod: method,
			UpdateFrequency: "mensuelle / monthly",
			Format:          "un enregistrement par membre et par mois / one record per member and month",
			Pseudonymisation: "enregistrements liés à une clé de membre aléatoire, à part des identités / " +
				"records keyed by a random member key, apart from identities"}
	}
	l := func(fr, en string) pooling.Labels { return pooling.Labels{"fr": fr, "en": en} }
	month := pooling.Field{Name: "month", Type: pooling.TypeMonth, From: "2025-01", To: "2027-12", Labels: l("Mois", "Month")}
	return []pooling.Pool{
		{ID: "home-energy", Title: "Home energy use", Labels: l("Énergie du foyer", "Home energy use"), Fields: []pooling.Field{
			{Name: "kwh", Type: pooling.TypeNumber, Min: ptr(0), Max: ptr(2000), Unit: "kWh", Bins: 10, Labels: l("Consommation", "Energy use")},
			{Name: "heating", Type: pooling.TypeCategory, Values: []string{"gas", "electric", "heat pump", "wood"}, Labels: l("Chauffage", "Heating"),
				ValueLabels: map[string]pooling.Labels{"gas": l("gaz", "gas"), "electric": l("électrique", "electric"),
					"heat pump": l("pompe à chaleur", "heat pump"), "wood": l("bois", "wood")}},
			month,
		}, Documentation: doc("compteurs d'électricité et de gaz des membres / members' electricity and gas meters",
			"relevé mensuel saisi par le membre / monthly self-reading, entered by the member")},
		{ID: "mobility", Title: "Everyday mobility", Labels: l("Déplacements du quotidien", "Everyday mobility"), Fields: []pooling.Field{
			{Name: "km", Type: pooling.TypeNumber, Min: ptr(0), Max: ptr(3000), Unit: "km", Bins: 10, Labels: l("Distance", "Distance")},
			{Name: "mode", Type: pooling.TypeCategory, Values: []string{"walk", "bike", "bus", "car"}, Labels: l("Mode de transport", "Mode of transport"),
				ValueLabels: map[string]pooling.Labels{"walk": l("marche", "walk"), "bike": l("vélo", "bike"),
					"bus": l("bus", "bus"), "car": l("voiture", "car")}},
			month,
		}, Documentation: doc("carnets de trajets des membres / members' trip diaries",
			"mode principal et distance par mois, saisis par le membre / main mode and distance per month, entered by the member")},
	}
}

// bootstrapDemo seeds the demo coop; it is a bootstrap step, so it must be
// idempotent: a pool or an account that exists already is kept.
func (n *Node) bootstrapDemo(ctx context.Context) error {
	if !n.Config.Demo {
		return nil
	}
	opEmail, opPassword, ok := n.operatorCredentials()
	if !ok {
		n.log.Warn("demo data skipped: this node does not know the operator's password")
		return nil
	}
	op, err := n.demoLogin(ctx, opEmail, opPassword)
	if err != nil {
		return fmt.Errorf("demo: operator login: %w", err)
	}
	for _, p := range demoPools() {
		if _, err := n.pooling.CreatePool(ctx, p); err != nil && raftdata.ErrorCode(err) != raftdata.CodeConflict {
			return fmt.Errorf("demo: pool %s: %w", p.ID, err)
		}
	}
	password, err := n.demoPassword()
	if err != nil {
		return err
	}
	researcher, err := n.demoAccount(ctx, "Demo researcher", "researcher@"+demoEmailDomain, password)
	if err != nil {
		return err
	}
	if !researcher.Has(members.RoleResearcher) {
		if err := n.members.GrantRole(ctx, op, researcher.ID, string(members.RoleResearcher)); err != nil {
			return fmt.Errorf("demo: researcher role: %w", err)
		}
		if researcher, err = n.demoLogin(ctx, researcher.Email, password); err != nil {
			return err
		}
	}
	voters := make([]members.Account, demoMembers)
	heating := []string{"gas", "heat pump"} // 6 members each: so few that the preview warns the noise would drown the figures
	for i := range voters {
		a, err := n.demoAccount(ctx, fmt.Sprintf("Demo member %d", i+1), fmt.Sprintf("member%d@%s", i+1, demoEmailDomain), password)
		if err != nil {
			return err
		}
		if !a.Admitted {
			if err := n.members.Admit(ctx, op, a.ID); err != nil && raftdata.ErrorCode(err) != raftdata.CodeConflict {
				return fmt.Errorf("demo: admit %s: %w", a.Email, err)
			}
		}
		voters[i] = a
		if _, err := n.pooling.SetConsent(ctx, a.ID, "home-energy", true); err != nil {
			return fmt.Errorf("demo: consent: %w", err)
		}
		var rows []map[string]any
		for m := 1; m <= 6; m++ {
			kwh := float64(180 + 35*(i%5) + 60*(6-m) + 15*(i%4))
			rows = append(rows, map[string]any{"kwh": kwh, "heating": heating[i%2], "month": fmt.Sprintf("2026-%02d", m)})
		}
		if _, err := n.pooling.Contribute(ctx, a.ID, "home-energy", rows, "demo-seed"); err != nil {
			return fmt.Errorf("demo: records: %w", err)
		}
	}
	existing, _, err := n.proposals.List(ctx, "", 1)
	if err != nil || len(existing) > 0 {
		return err
	}
	open := proposals.Draft{
		Title: "Le mode de chauffage change-t-il la consommation d'hiver ? / Does the heating system change winter energy use?",
		Purpose: "Comparer la consommation mensuelle moyenne des foyers selon leur chauffage, pour guider les conseils de la coopérative sur la rénovation.\n\n" +
			"Compare the average monthly energy use of homes by heating system, to guide the coop's advice on renovation.",
		Kind: governance.Knowledge, Pool: "home-energy",
		Query:         &pooling.Query{Aggregate: pooling.AggMean, Field: "kwh", GroupBy: []string{"heating"}},
		Privacy:       &proposals.Privacy{MinCohort: 5, EpsilonTotal: 1, EpsilonPerQuery: 0.5},
		VotingMinutes: 7 * 24 * 60, GrantDays: 90,
	}
	if _, err := n.proposals.Create(ctx, researcher, open); err != nil {
		return fmt.Errorf("demo: proposal: %w", err)
	}
	quick := open
	quick.Title = "Combien de membres par mode de chauffage ? / How many members per heating system?"
	quick.Purpose = "Compter les membres par mode de chauffage, pour dimensionner l'achat groupé de pompes à chaleur.\n\n" +
		"Count the members by heating system, to size the coop's group purchase of heat pumps."
	quick.Query = &pooling.Query{Aggregate: pooling.AggCount, GroupBy: []string{"heating"}}
	quick.VotingMinutes = 1
	p, err := n.proposals.Create(ctx, researcher, quick)
	if err != nil {
		return fmt.Errorf("demo: proposal: %w", err)
	}
	for _, v := range voters[:8] {
		// A member --rules left unadmitted (sponsorship) is not in the
		// electorate: the demo goes on without their vote.
		if _, err := n.proposals.Vote(ctx, v, p.ID, proposals.ChoiceYes); err != nil && raftdata.ErrorCode(err) != raftdata.CodeForbidden {
			return fmt.Errorf("demo: vote: %w", err)
		}
	}
	n.log.Info("demo coop seeded", "members", demoMembers, "accounts_file", filepath.Join(n.Config.Data, demoAccountsFile))
	return nil
}

// demoAccount signs an account up, or logs it in if it exists.
func (n *Node) demoAccount(ctx context.Context, name, email, password string) (members.Account, error) {
	_, err := n.members.SignUp(ctx, members.SignupInput{Name: name, Email: email, Password: password, AcceptCharter: true, Lang: "en"})
	if err != nil && raftdata.ErrorCode(err) != raftdata.CodeConflict {
		return members.Account{}, fmt.Errorf("demo: sign up %s: %w", email, err)
	}
	return n.demoLogin(ctx, email, password)
}

func (n *Node) demoLogin(ctx context.Context, email, password string) (members.Account, error) {
	s, err := n.members.Login(ctx, members.LoginInput{Email: email, Password: password, Address: "127.0.0.1"})
	if err != nil {
		return members.Account{}, err
	}
	return n.members.Authenticate(ctx, s.Token)
}

// demoPassword is the demo accounts' shared password, drawn once and kept
// in an owner-only file of the data directory.
func (n *Node) demoPassword() (string, error) {
	path := filepath.Join(n.Config.Data, demoAccountsFile)
	if data, err := os.ReadFile(path); err == nil {
		if pw, ok := field(string(data), "password"); ok {
			return pw, nil
		}
	}
	pw := members.GeneratePassword()
	content := fmt.Sprintf("accounts: researcher@%[1]s, member1@%[1]s … member%[2]d@%[1]s\npassword: %[3]s\n", demoEmailDomain, demoMembers, pw)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return "", fmt.Errorf("demo: write %s: %w", path, err)
	}
	fmt.Fprintf(n.logs, "coop: demo accounts created; their password is in %s (readable only by you)\n", path)
	return pw, nil
}

// operatorCredentials are the first operator's email and password, from
// the environment or the password file this node wrote.
func (n *Node) operatorCredentials() (email, password string, ok bool) {
	if n.Config.OperatorPassword != "" {
		email = n.Config.OperatorEmail
		if email == "" {
			email = defaultOperatorEmail
		}
		return email, n.Config.OperatorPassword, true
	}
	data, err := os.ReadFile(filepath.Join(n.Config.Data, operatorPasswordFile))
	if err != nil {
		return "", "", false
	}
	email, ok1 := field(string(data), "email")
	password, ok2 := field(string(data), "password")
	return email, password, ok1 && ok2
}

// field reads "name: value" from a small credentials file.
func field(text, name string) (string, bool) {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, name+": "); ok {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}
