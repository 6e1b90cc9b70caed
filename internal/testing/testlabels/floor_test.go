package testlabels

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFloor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "floor.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"note":"measured","states":{
		"live":{"cause_right":3,"pod_right":2,"right":2},
		"snapshot":{"cause_right":1,"pod_right":0,"right":0}}}`), 0o600))
	f, err := ReadFloor(path)
	require.NoError(t, err)

	above, err := f.Check([]Score{
		{State: "live", CauseRight: 3, PodRight: 2, Right: 2},
		{State: "snapshot", CauseRight: 2, PodRight: 0, Right: 1},
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"snapshot: cause_right 2 > floor 1", "snapshot: right 1 > floor 0"}, above)

	_, err = f.Check([]Score{{State: "live", CauseRight: 2, PodRight: 2, Right: 2}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "live: cause_right 2 is below the floor 3")
	assert.Contains(t, err.Error(), "state snapshot has a floor but was not scored")
}

func TestReadFloorRejects(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"empty.json": `{"states":{}}`, "bad.json": `{"states":`} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		_, err := ReadFloor(p)
		assert.Error(t, err, name)
	}
	_, err := ReadFloor(filepath.Join(dir, "missing.json"))
	assert.Error(t, err)
}
