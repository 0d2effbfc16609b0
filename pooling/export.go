package pooling

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Export is everything pooling holds about one member.
type Export struct {
	Consents       []Consent      `json:"consents"`
	ConsentHistory []Consent      `json:"consent_history"`
	Records        []StoredRecord `json:"records"`
	Journal        []Access       `json:"journal"`
	PrivacyLedger  Ledger         `json:"privacy_ledger"`
}

// Export gathers the member's consents, records, access journal and
// privacy ledger (right of access and portability). The export itself is
// journaled.
func (s *Service) Export(ctx context.Context, accountID string) (Export, error) {
	if err := s.recordAccess(ctx, accountID, "", "export", "the member's own export"); err != nil {
		return Export{}, err
	}
	current, history, err := s.Consents(ctx, accountID)
	if err != nil {
		return Export{}, err
	}
	recs, err := s.Records(ctx, accountID, "")
	if err != nil {
		return Export{}, err
	}
	journal, err := s.AccessJournal(ctx, accountID)
	if err != nil {
		return Export{}, err
	}
	ledger, err := s.Ledger(ctx, accountID, time.Now())
	if err != nil {
		return Export{}, err
	}
	return Export{Consents: current, ConsentHistory: history, Records: recs, Journal: journal, PrivacyLedger: ledger}, nil
}

// WriteCSV writes the member's records of one pool as CSV: a header of the
// pool's fields, then one row per record. Text cells go through CSVText.
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
		header[i] = CSVText(f.Name)
	}
	cw.Write(header)
	for _, r := range recs {
		row := make([]string, len(p.Fields))
		for i, f := range p.Fields {
			switch v := r.Values[f.Name].(type) {
			case float64: // a number, written by coop: it stays one, negative or not
				row[i] = strconv.FormatFloat(v, 'g', -1, 64)
			case string:
				row[i] = CSVText(v)
			default:
				row[i] = CSVText(fmt.Sprint(v))
			}
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}
