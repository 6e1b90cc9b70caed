package doctor

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testotlp"
)

// exportConfig is a gateway-like config whose logs pipeline exports with
// exporter (a YAML mapping of exporters), and whose metrics pipeline has an
// otlp_http exporter that a log record cannot test.
func exportConfig(t *testing.T, exporters, logsExporters string) string {
	return writeConfig(t, `
receivers:
  otlp:
    protocols: {grpc: {}}
exporters:
`+exporters+`
  otlp_http/metrics:
    metrics_endpoint: http://127.0.0.1:1/v1/metrics
extensions:
  file_storage:
    directory: /nonexistent
service:
  extensions: [file_storage]
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [`+logsExporters+`]
    metrics:
      receivers: [otlp]
      exporters: [otlp_http/metrics]
`)
}

// The shipped exporters' shape (retries forever, a queue in file_storage)
// against the OTLP/HTTP test backend: one attempt decides, without the
// storage extension; accepted is PASS, refused (503) is FAIL with the
// status, --no-send sends nothing.
func TestExportOTLPHTTP(t *testing.T) {
	b := testotlp.Start(t)
	cfg := exportConfig(t, `
  otlp_http/backend:
    logs_endpoint: `+b.LogsEndpoint()+`
    retry_on_failure: {enabled: true, max_elapsed_time: 0}
    sending_queue: {enabled: true, storage: file_storage, sizer: items, queue_size: 1000}
`, "otlp_http/backend")
	rs, _ := run(t, Options{Configs: []string{cfg}})
	r := one(t, rs, "export[otlp_http/backend]")
	assert.Equal(t, Pass, r.Status)
	assert.Contains(t, r.Detail, "test record (k8s502.doctor=true) accepted by "+b.LogsEndpoint())
	assert.Empty(t, only(rs, "export[otlp_http/metrics]"), "metrics-only exporters are not sent logs")
	tally := b.Tally()
	assert.EqualValues(t, 1, tally.Accepted)
	assert.Zero(t, tally.Records, "not a failed-request record")

	b.Refuse(true)
	rs, _ = run(t, Options{Configs: []string{cfg}})
	r = one(t, rs, "export[otlp_http/backend]")
	assert.Equal(t, Fail, r.Status)
	assert.Contains(t, r.Detail, b.LogsEndpoint()+" did not accept the test record")
	assert.Contains(t, r.Detail, "503")
	assert.EqualValues(t, 1, b.Tally().Refused, "one attempt, no retries")

	rs, _ = run(t, Options{Configs: []string{cfg}, NoSend: true})
	r = one(t, rs, "export[otlp_http/backend]")
	assert.Equal(t, Warn, r.Status)
	assert.Contains(t, r.Detail, "not sent (--no-send)")
	tally = b.Tally()
	assert.Equal(t, [2]int64{1, 1}, [2]int64{tally.Accepted, tally.Refused}, "nothing more arrived")
}

// What arrives is one marked INFO record; a backend's partial success
// (accepted, but records rejected) is a WARN quoting it.
func TestExportRecordAndPartialSuccess(t *testing.T) {
	var mu sync.Mutex
	var got []plog.Logs
	reject := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := plogotlp.NewExportRequest()
		require.NoError(t, req.UnmarshalProto(body))
		resp := plogotlp.NewExportResponse()
		mu.Lock()
		got = append(got, req.Logs())
		if reject {
			resp.PartialSuccess().SetRejectedLogRecords(1)
			resp.PartialSuccess().SetErrorMessage("stream fields missing")
		}
		mu.Unlock()
		out, _ := resp.MarshalProto()
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	defer srv.Close()
	cfg := exportConfig(t, "  otlphttp:\n    endpoint: "+srv.URL+"\n    compression: none\n", "otlphttp")

	rs, _ := run(t, Options{Configs: []string{cfg}})
	assert.Equal(t, Pass, one(t, rs, "export[otlphttp]").Status)
	require.Len(t, got, 1)
	require.Equal(t, 1, got[0].LogRecordCount())
	res := got[0].ResourceLogs().At(0)
	svc, _ := res.Resource().Attributes().Get("service.name")
	assert.Equal(t, "k8s502-doctor", svc.Str())
	lr := res.ScopeLogs().At(0).LogRecords().At(0)
	mark, ok := lr.Attributes().Get("k8s502.doctor")
	require.True(t, ok)
	assert.True(t, mark.Bool())
	assert.Equal(t, plog.SeverityNumberInfo, lr.SeverityNumber())
	_, judged := lr.Attributes().Get("k8s502.outcome")
	assert.False(t, judged, "correlate502 passes it through unjudged")

	mu.Lock()
	reject = true
	mu.Unlock()
	rs, _ = run(t, Options{Configs: []string{cfg}})
	r := one(t, rs, "export[otlphttp]")
	assert.Equal(t, Warn, r.Status)
	assert.Contains(t, r.Detail, "stream fields missing")
}

// logsService answers OTLP/gRPC exports, or refuses them.
type logsService struct {
	plogotlp.UnimplementedGRPCServer
	refuse bool
	mu     sync.Mutex
	n      int
}

func (s *logsService) Export(_ context.Context, req plogotlp.ExportRequest) (plogotlp.ExportResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n += req.Logs().LogRecordCount()
	if s.refuse {
		return plogotlp.NewExportResponse(), status.Error(codes.Unavailable, "backend overloaded")
	}
	return plogotlp.NewExportResponse(), nil
}

// The agent's exporter (otlp_grpc to the gateway) against a real gRPC
// server: accepted, refused, an address where nothing listens, a name that
// does not resolve.
func TestExportOTLPGRPC(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	svc := &logsService{}
	plogotlp.RegisterGRPCServer(srv, svc)
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	exporter := func(endpoint string) string {
		return exportConfig(t, `
  otlp_grpc:
    endpoint: `+endpoint+`
    tls: {insecure: true}
    retry_on_failure: {enabled: true, max_elapsed_time: 0}
    sending_queue: {enabled: true, storage: file_storage, sizer: items, queue_size: 200000}
`, "otlp_grpc")
	}
	rs, _ := run(t, Options{Configs: []string{exporter(lis.Addr().String())}})
	r := one(t, rs, "export[otlp_grpc]")
	assert.Equal(t, Pass, r.Status, r.Detail)
	assert.Equal(t, 1, svc.n)

	svc.mu.Lock()
	svc.refuse = true
	svc.mu.Unlock()
	rs, _ = run(t, Options{Configs: []string{exporter(lis.Addr().String())}})
	r = one(t, rs, "export[otlp_grpc]")
	assert.Equal(t, Fail, r.Status)
	assert.Contains(t, r.Detail, "code = Unavailable desc = backend overloaded")

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := closed.Addr().(*net.TCPAddr).Port
	require.NoError(t, closed.Close())
	rs, _ = run(t, Options{Configs: []string{exporter("127.0.0.1:" + strconv.Itoa(port))}})
	r = one(t, rs, "export[otlp_grpc]")
	assert.Equal(t, Fail, r.Status)
	assert.Contains(t, r.Detail, "dial tcp 127.0.0.1:"+strconv.Itoa(port)+": connect: connection refused")
	assert.NotContains(t, r.Detail, "; TCP:", "the exporter's error says it already")

	// A gateway Service name that does not resolve: gRPC says "no
	// children to pick from", the probe says why.
	rs, _ = run(t, Options{Configs: []string{exporter("k8s502-doctor-test.invalid:4317")}})
	r = one(t, rs, "export[otlp_grpc]")
	assert.Equal(t, Fail, r.Status)
	assert.Contains(t, r.Detail, "; DNS: lookup k8s502-doctor-test.invalid")
}
