// Package dptest checks differential privacy empirically: it runs a
// mechanism many times on two neighbouring datasets and, for every event
// over every released field, tests that neither output distribution
// gives the event more than e^ε times (plus δ) the probability the other
// gives it, with sampling slack. A check raises a false alarm with
// probability at most 1e-6 (exact one-sided Clopper-Pearson bounds, each
// at 5e-7), so a failure means the mechanism leaks.
//
// Events are fixed from a pilot sample, drawn apart from the samples
// tested: for every field path, "present"; for strings and booleans,
// "equals v" for each value the pilot saw; for numbers, "at most t" for
// the pilot's deciles. A released answer is flattened from its JSON, so
// every field it carries is checked, including fields added later.
package dptest

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// FalseAlarm is the probability bound of a false alarm per check.
const FalseAlarm = 1e-6

// Output is one released answer, flattened: field path to value (a
// string, a bool or a float64).
type Output map[string]any

// Flatten turns a JSON value into an Output. Arrays of objects that carry
// a "key" object (groups) are indexed by that key, so a group is the same
// path whatever its position, and the path "<array>.keys" lists the keys
// present, sorted: the key set is a field too. Paths in skip (exact match)
// are left out.
func Flatten(v any, skip ...string) (Output, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	out := Output{}
	flatten(out, "", doc, skip)
	return out, nil
}

func flatten(out Output, path string, v any, skip []string) {
	if slices.Contains(skip, path) {
		return
	}
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			flatten(out, join(k), x, skip)
		}
	case []any:
		var keys []string
		for i, x := range t {
			name := strconv.Itoa(i)
			if obj, ok := x.(map[string]any); ok {
				if key, ok := obj["key"]; ok {
					kb, _ := json.Marshal(key)
					name = "[" + string(kb) + "]"
					keys = append(keys, name)
					m := map[string]any{}
					for k, y := range obj {
						if k != "key" {
							m[k] = y
						}
					}
					x = m
				}
			}
			flatten(out, path+name, x, skip)
		}
		if keys != nil {
			sort.Strings(keys)
			out[join("keys")] = strings.Join(keys, " ")
		} else if len(t) == 0 {
			out[join("keys")] = ""
		}
	case nil:
		out[path] = "null"
	default:
		out[path] = t
	}
}

// Event is a set of outputs, named for the report.
type Event struct {
	Name string
	In   func(Output) bool
}

// Events lists the events of every path the pilot outputs carry.
func Events(pilot []Output) []Event {
	paths := map[string][]any{}
	for _, o := range pilot {
		for p, v := range o {
			paths[p] = append(paths[p], v)
		}
	}
	names := make([]string, 0, len(paths))
	for p := range paths {
		names = append(names, p)
	}
	sort.Strings(names)
	var out []Event
	for _, p := range names {
		p := p
		out = append(out, Event{Name: p + " present", In: func(o Output) bool { _, ok := o[p]; return ok }})
		var nums []float64
		seen := map[string]bool{}
		for _, v := range paths[p] {
			switch t := v.(type) {
			case float64:
				nums = append(nums, t)
			default:
				s := fmt.Sprint(t)
				if !seen[s] {
					seen[s] = true
					out = append(out, Event{Name: fmt.Sprintf("%s = %s", p, s), In: func(o Output) bool {
						v, ok := o[p]
						return ok && fmt.Sprint(v) == s
					}})
				}
			}
		}
		slices.Sort(nums)
		var last float64
		for i := 1; i < 10 && len(nums) > 0; i++ {
			t := nums[min(len(nums)-1, i*len(nums)/10)]
			if i > 1 && t == last {
				continue
			}
			last = t
			out = append(out, Event{Name: fmt.Sprintf("%s <= %g", p, t), In: func(o Output) bool {
				v, ok := o[p].(float64)
				return ok && v <= t
			}})
		}
	}
	return out
}

// Violation is an event one dataset's outputs fall in more often than
// e^ε times the other's allows, beyond sampling slack.
type Violation struct {
	Event  string
	Ka, Kb int // outputs in the event, of Na and Nb
	Na, Nb int
}

func (v Violation) String() string {
	return fmt.Sprintf("%s: %d/%d vs %d/%d", v.Event, v.Ka, v.Na, v.Kb, v.Nb)
}

// Check tests every event on outputs a (one dataset) and b (its
// neighbour): an event fails when the lower bound of its probability
// under one dataset exceeds e^eps times the upper bound under the other,
// plus delta. It returns the number of checks made and the failures.
func Check(events []Event, a, b []Output, eps, delta float64) (int, []Violation) {
	var out []Violation
	for _, e := range events {
		ka, kb := count(e, a), count(e, b)
		if exceeds(ka, len(a), kb, len(b), eps, delta) || exceeds(kb, len(b), ka, len(a), eps, delta) {
			out = append(out, Violation{Event: e.Name, Ka: ka, Kb: kb, Na: len(a), Nb: len(b)})
		}
	}
	return 2 * len(events), out
}

// exceeds tells whether k1 of n1 is surely more than e^eps times k2 of n2
// plus delta.
func exceeds(k1, n1, k2, n2 int, eps, delta float64) bool {
	return Lower(k1, n1, FalseAlarm/2) > math.Exp(eps)*Upper(k2, n2, FalseAlarm/2)+delta
}

func count(e Event, outs []Output) int {
	k := 0
	for _, o := range outs {
		if e.In(o) {
			k++
		}
	}
	return k
}

// Lower is the one-sided Clopper-Pearson lower bound of a probability
// seen k times in n trials: it is above the truth with probability at
// most beta.
func Lower(k, n int, beta float64) float64 {
	if k == 0 {
		return 0
	}
	// The p where P[Bin(n,p) >= k] = beta.
	return bisect(func(p float64) bool { return 1-binomCDF(k-1, n, p) < beta })
}

// Upper is the one-sided Clopper-Pearson upper bound: below the truth
// with probability at most beta.
func Upper(k, n int, beta float64) float64 {
	if k >= n {
		return 1
	}
	// The p where P[Bin(n,p) <= k] = beta.
	return bisect(func(p float64) bool { return binomCDF(k, n, p) > beta })
}

// bisect finds the boundary in 0..1 where below(p) stops holding.
func bisect(below func(float64) bool) float64 {
	lo, hi := 0.0, 1.0
	for range 60 {
		mid := (lo + hi) / 2
		if below(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// binomCDF is P[Bin(n,p) <= k] = I_{1-p}(n-k, k+1), the regularized
// incomplete beta function.
func binomCDF(k, n int, p float64) float64 {
	if k < 0 {
		return 0
	}
	if k >= n || p <= 0 {
		return 1
	}
	if p >= 1 {
		return 0
	}
	return regIncBeta(float64(n-k), float64(k+1), 1-p)
}

// regIncBeta is I_x(a, b), by its continued fraction (Numerical Recipes,
// betai and betacf), using the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) where
// the fraction converges faster.
func regIncBeta(a, b, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	la, _ := math.Lgamma(a + b)
	lb, _ := math.Lgamma(a)
	lc, _ := math.Lgamma(b)
	front := math.Exp(la - lb - lc + a*math.Log(x) + b*math.Log1p(-x))
	if x < (a+1)/(a+b+2) {
		return front * betaCF(a, b, x) / a
	}
	return 1 - front*betaCF(b, a, 1-x)/b
}

func betaCF(a, b, x float64) float64 {
	const tiny = 1e-300
	qab, qap, qam := a+b, a+1, a-1
	c, d := 1.0, 1-qab*x/qap
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	// step takes one term aa of the fraction (Lentz's method).
	step := func(aa float64) float64 {
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		return d * c
	}
	for m := 1; m <= 10000; m++ {
		fm := float64(m)
		h *= step(fm * (b - fm) * x / ((qam + 2*fm) * (a + 2*fm)))
		del := step(-(a + fm) * (qab + fm) * x / ((a + 2*fm) * (qap + 2*fm)))
		h *= del
		if math.Abs(del-1) < 1e-15 {
			break
		}
	}
	return h
}
