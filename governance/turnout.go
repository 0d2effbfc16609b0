package governance

import "slices"

// Turnout is how many members of a closed vote's electorate had a vote
// that counted.
type Turnout struct {
	Cast       int `json:"cast"`
	Electorate int `json:"electorate"`
}

// Calibration is what the turnout of past votes of one kind says of its
// quorum: how the votes went, how many met the quorum in force, and a
// quorum calibrated on them, as the starting point of an amendment.
type Calibration struct {
	Votes          int `json:"votes"`
	LowestPercent  int `json:"lowest_turnout_percent"`
	MedianPercent  int `json:"median_turnout_percent"`
	HighestPercent int `json:"highest_turnout_percent"`
	QuorumPercent  int `json:"quorum_percent"`
	MetQuorum      int `json:"met_quorum"` // how many of the votes the quorum in force let through
	// SuggestedPercent is the turnout three votes in four reached (the
	// lower quartile, nearest rank), never under MinSuggestedQuorum; 0
	// without votes.
	SuggestedPercent int `json:"suggested_quorum_percent"`
	MetSuggested     int `json:"met_suggested"`
}

// MinSuggestedQuorum: however low the turnout, a calibrated quorum asks
// this much participation.
const MinSuggestedQuorum = 5

// Calibrate reads the turnout of past votes against quorum. Percentages
// are whole (rounded down); meeting a quorum is exact (cast*100 >=
// quorum*electorate). Votes with an empty electorate are left out.
func Calibrate(quorum int, past []Turnout) Calibration {
	c := Calibration{QuorumPercent: quorum}
	var pcts []int
	var kept []Turnout
	for _, t := range past {
		if t.Electorate <= 0 {
			continue
		}
		kept = append(kept, t)
		pcts = append(pcts, t.Cast*100/t.Electorate)
	}
	if len(kept) == 0 {
		return c
	}
	slices.Sort(pcts)
	n := len(pcts)
	c.Votes, c.LowestPercent, c.HighestPercent = n, pcts[0], pcts[n-1]
	c.MedianPercent = pcts[(n-1)/2]
	c.SuggestedPercent = min(max(pcts[(n+3)/4-1], MinSuggestedQuorum), 100)
	for _, t := range kept {
		if t.Cast*100 >= quorum*t.Electorate {
			c.MetQuorum++
		}
		if t.Cast*100 >= c.SuggestedPercent*t.Electorate {
			c.MetSuggested++
		}
	}
	return c
}
