package testlabels

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Markdown renders the scores of every state side by side (the states
// judge the same labels): a summary, precision and recall per cause,
// calibration per confidence level, right verdicts per scenario, and
// every wrong verdict.
func Markdown(scores []Score) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	head := func(first string, per ...string) {
		cols := strings.Split(first, " | ")
		for _, s := range scores {
			for _, p := range per {
				cols = append(cols, s.State+" "+p)
			}
		}
		w("| %s |", strings.Join(cols, " | "))
		w("|%s", strings.Repeat("---|", len(cols)))
	}

	w("Right: the cause is the labeled one and the pod named, if any, is one the request failed on. Pods are")
	w("counted over the requests labeled with pods: named right, named wrong, or not named.")
	w("")
	w("| state | labeled | judged | cause right | pod right | pod wrong | pod not named | right | wrong at high |")
	w("|---|---|---|---|---|---|---|---|---|")
	for _, s := range scores {
		w("| %s | %d | %d | %s | %s | %s | %s | %s | %d |", s.State, s.Labeled, s.Judged,
			frac(s.CauseRight, s.Labeled), frac(s.PodRight, s.PodLabeled), frac(s.PodWrong, s.PodLabeled), frac(s.PodUnnamed, s.PodLabeled),
			frac(s.Right, s.Labeled), len(s.WrongHigh))
	}

	w("")
	w("Precision (of the verdicts giving the cause, how many were labeled so) and recall (of the requests labeled")
	w("with it, how many got it), per cause; support is the number of requests labeled with it.")
	w("")
	head("cause | support", "precision", "recall")
	for _, c := range causeNames(scores) {
		cells := []string{c, fmt.Sprint(support(scores, c))}
		for _, s := range scores {
			r := causeRow(s, c)
			cells = append(cells, pct(r.Precision()), pct(r.Recall()))
		}
		w("| %s |", strings.Join(cells, " | "))
	}

	w("")
	w("Calibration: of the verdicts given at each confidence, how many were right.")
	w("")
	head("confidence", "right / verdicts")
	for _, lv := range confidenceNames(scores) {
		cells := []string{dash(lv)}
		for _, s := range scores {
			c := calibrationRow(s, lv)
			cells = append(cells, frac(c.Right, c.Verdicts))
		}
		w("| %s |", strings.Join(cells, " | "))
	}

	if len(scores) > 0 {
		w("")
		w("Right verdicts per scenario, and the confidence of its verdicts.")
		w("")
		head("scenario | class | requests", "right")
		for i, sc := range scores[0].Scenarios {
			cells := []string{sc.Scenario, sc.Class, fmt.Sprint(sc.Requests)}
			for _, s := range scores {
				r := s.Scenarios[i]
				cells = append(cells, fmt.Sprintf("%d %s", r.Right, confidences(r.Confidence)))
			}
			w("| %s |", strings.Join(cells, " | "))
		}
	}

	w("")
	w("Wrong verdicts:")
	w("")
	w("| state | request | labeled cause | labeled pod | verdict | confidence | pod |")
	w("|---|---|---|---|---|---|---|")
	for _, s := range scores {
		for _, m := range s.Wrong {
			v := m.Verdict
			if v == (Verdict{}) {
				v = Verdict{Cause: "(no record)"}
			}
			w("| %s | %s | %s | %s | %s | %s | %s |", s.State, m.Label.RequestID, m.Label.Cause,
				dash(strings.Join(m.Label.Pods, ", ")), v.Cause, dash(v.Confidence), dash(v.Pod))
		}
	}
	return b.String()
}

// confidences lists how many verdicts had each level: "(high 2, low 1)",
// or "(no record)".
func confidences(n map[string]int) string {
	var parts []string
	for _, lv := range levels {
		if n[lv] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", lv, n[lv]))
		}
	}
	var other []string
	for lv, c := range n {
		if !slices.Contains(levels, lv) {
			other = append(other, fmt.Sprintf("%s %d", dash(lv), c))
		}
	}
	sort.Strings(other)
	if parts = append(parts, other...); len(parts) == 0 {
		return "(no record)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func causeNames(scores []Score) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range scores {
		for _, r := range s.Causes {
			if !seen[r.Cause] {
				seen[r.Cause] = true
				out = append(out, r.Cause)
			}
		}
	}
	sort.Strings(out)
	return out
}

func confidenceNames(scores []Score) []string {
	seen := map[string]bool{}
	var out []string
	add := func(lv string) {
		if !seen[lv] {
			seen[lv] = true
			out = append(out, lv)
		}
	}
	for _, lv := range levels {
		for _, s := range scores {
			if calibrationRow(s, lv).Verdicts > 0 {
				add(lv)
			}
		}
	}
	for _, s := range scores {
		for _, c := range s.Calibration {
			add(c.Confidence)
		}
	}
	return out
}

func support(scores []Score, cause string) int {
	for _, s := range scores {
		if r := causeRow(s, cause); r.Support > 0 {
			return r.Support
		}
	}
	return 0
}

func causeRow(s Score, cause string) CauseRow {
	for _, r := range s.Causes {
		if r.Cause == cause {
			return r
		}
	}
	return CauseRow{Cause: cause}
}

func calibrationRow(s Score, lv string) CalibrationRow {
	for _, c := range s.Calibration {
		if c.Confidence == lv {
			return c
		}
	}
	return CalibrationRow{Confidence: lv}
}

// frac is "n/d (p%)", or "—" when d is 0.
func frac(n, d int) string {
	if d == 0 {
		return "—"
	}
	return fmt.Sprintf("%d/%d (%.0f%%)", n, d, 100*float64(n)/float64(d))
}

func pct(v float64, ok bool) string {
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", 100*v)
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
