package pending

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/klauspost/compress/s2"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// compressed marks an S2 body. A storm's records repeat each other, so its
// batches shrink several times over, and writing them was the largest cost
// of holding records durably (bbolt copies and pages every byte).
const compressed = 0xFF

// Storage layout (keys of the processor's own storage client):
//
//	meta     {"released":R,"head":H,"tail":T}
//	p/<seq>  a held batch, H <= seq < T: due time (unix ns, 8 bytes), then
//	         0xFF + the S2-compressed OTLP protobuf (or, as written before
//	         compression, the protobuf itself: its first byte is never 0xFF)
//	d/<seq>  identities of a released batch, R <= seq < H, newline separated
//
// The storage API has no listing, so the contiguous ranges in meta are the
// index; every change to them is written in the same Batch as the keys.
const metaKey = "meta"

type meta struct {
	Released uint64 `json:"released"`
	Head     uint64 `json:"head"`
	Tail     uint64 `json:"tail"`
}

func (m meta) encode() []byte {
	b, _ := json.Marshal(m)
	return b
}

func batchKey(seq uint64) string    { return "p/" + strconv.FormatUint(seq, 10) }
func releasedKey(seq uint64) string { return "d/" + strconv.FormatUint(seq, 10) }

func encodeBatch(due time.Time, body []byte) []byte {
	out := make([]byte, 9, 9+s2.MaxEncodedLen(len(body)))
	binary.BigEndian.PutUint64(out, uint64(due.UnixNano()))
	out[8] = compressed
	enc := s2.Encode(out[9:cap(out)], body) // written in place: out has room
	return out[:9+len(enc)]
}

func decodeBatch(raw []byte) (time.Time, []byte, error) {
	if len(raw) < 8 {
		return time.Time{}, nil, errors.New("correlate502: held batch in storage is corrupt")
	}
	due, body := time.Unix(0, int64(binary.BigEndian.Uint64(raw))), raw[8:]
	if len(body) > 0 && body[0] == compressed {
		plain, err := s2.Decode(nil, body[1:])
		if err != nil {
			return time.Time{}, nil, fmt.Errorf("correlate502: held batch in storage is corrupt: %w", err)
		}
		body = plain
	}
	return due, body, nil
}

func encodeIDs(ids []string) []byte {
	var b bytes.Buffer
	for _, id := range ids {
		b.WriteString(id)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func decodeIDs(raw []byte) []string {
	var ids []string
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '\n')
		if i < 0 {
			i = len(raw)
		}
		if i > 0 {
			ids = append(ids, string(raw[:i]))
		}
		raw = raw[min(i+1, len(raw)):]
	}
	return ids
}

// Restore loads what a previous run left: the released identities and the
// held batches. Held batches are judged a full decision_wait after now, not
// at their old due time: the state store of a restarted collector needs that
// long to fill again.
func (q *Queue) Restore(ctx context.Context, now time.Time) error {
	if !q.Durable() {
		return nil
	}
	raw, err := q.cfg.Client.Get(ctx, metaKey)
	if err != nil {
		return fmt.Errorf("correlate502: reading storage: %w", err)
	}
	if raw == nil {
		return nil
	}
	var m meta
	if err := json.Unmarshal(raw, &m); err != nil || m.Released > m.Head || m.Head > m.Tail {
		return fmt.Errorf("correlate502: storage index is corrupt (%q)", raw)
	}
	q.meta = m
	for seq := m.Released; seq < m.Head; seq++ {
		raw, err := q.cfg.Client.Get(ctx, releasedKey(seq))
		if err != nil {
			return fmt.Errorf("correlate502: reading storage: %w", err)
		}
		ids := decodeIDs(raw)
		for _, id := range ids {
			q.ids.hold(id)
		}
		q.ids.released = append(q.ids.released, releasedGroup{seq: seq, ids: ids})
		q.ids.count += len(ids)
	}
	for seq := m.Head; seq < m.Tail; seq++ {
		raw, err := q.cfg.Client.Get(ctx, batchKey(seq))
		if err != nil {
			return fmt.Errorf("correlate502: reading storage: %w", err)
		}
		if raw == nil {
			continue // released, but the index write was lost
		}
		due, body, err := decodeBatch(raw)
		if err != nil {
			return err
		}
		ld, err := q.unmar.UnmarshalLogs(body)
		if err != nil {
			return fmt.Errorf("correlate502: decoding held batch %d: %w", seq, err)
		}
		b := &Batch{Seq: seq, Due: later(due, now.Add(q.cfg.Wait)), Count: ld.LogRecordCount(), ids: idsOf(ld)}
		for _, id := range b.ids {
			q.ids.hold(id)
		}
		q.batches = append(q.batches, b)
		q.held += b.Count
		q.stats.Restored += b.Count
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func idsOf(ld plog.Logs) []string {
	var ids []string
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		sls := ld.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				if v, ok := lrs.At(k).Attributes().Get(schema.RecordID); ok && v.Str() != "" {
					ids = append(ids, v.Str())
				}
			}
		}
	}
	return ids
}
