package pooling

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// Export is everything pooling holds about one member.
type Export struct {
	Consents       []Consent      `json:"consents"`
	ConsentHistory []Consent      `json:"consent_history"`
	Records        []StoredRecord `json:"records"`
}

// Export gathers the member's consents and records (right of access and
// portability).
func (s *Service) Export(ctx context.Context, accountID string) (Export, error) {
	current, history, err := s.Consents(ctx, accountID)
	if err != nil {
		return Export{}, err
	}
	recs, err := s.Records(ctx, accountID, "")
	if err != nil {
		return Export{}, err
	}
	return Export{Consents: current, ConsentHistory: history, Records: recs}, nil
}

// WriteCSV writes the member's records of one pool as CSV: a header of the
// pool's fields, then one row per record.
func (s *Service) WriteCSV(ctx context.Context, w io.Writer, accountID, poolID string) error {
	p, err := s.Pool(ctx, poolID)
	if err != nil {
		return err
	}
	recs, err := s.Records(ctx, accountID, poolID)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	header := make([]string, len(p.Fields))
	for i, f := range p.Fields {
		header[i] = f.Name
	}
	cw.Write(header)
	for _, r := range recs {
		row := make([]string, len(p.Fields))
		for i, f := range p.Fields {
			switch v := r.Values[f.Name].(type) {
			case float64:
				row[i] = strconv.FormatFloat(v, 'g', -1, 64)
			case string:
				row[i] = v
			default:
				row[i] = fmt.Sprint(v)
			}
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}
