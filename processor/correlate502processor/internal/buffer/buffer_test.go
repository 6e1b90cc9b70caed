package buffer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestDueInOrder(t *testing.T) {
	t0 := time.Unix(1000, 0)
	b := New[int](5*time.Second, 10)
	for i := 0; i < 3; i++ {
		assert.Empty(t, b.Add(i, t0.Add(time.Duration(i)*time.Second)))
	}
	assert.Empty(t, b.Due(t0.Add(4*time.Second)))
	assert.Equal(t, []int{0, 1}, b.Due(t0.Add(6*time.Second)))
	assert.Equal(t, 1, b.Len())
	assert.Equal(t, []int{2}, b.Drain())
	assert.Equal(t, 0, b.Len())
}

func TestOverflowReleasesOldest(t *testing.T) {
	t0 := time.Unix(1000, 0)
	b := New[int](time.Minute, 3)
	for i := 0; i < 3; i++ {
		b.Add(i, t0)
	}
	assert.Equal(t, []int{0}, b.Add(3, t0))
	assert.Equal(t, []int{1}, b.Add(4, t0))
	assert.Equal(t, []int{2, 3, 4}, b.Drain())
}

func TestCompactionKeepsOrder(t *testing.T) {
	t0 := time.Unix(1000, 0)
	b := New[int](0, 1000)
	next := 0
	for i := 0; i < 5000; i++ {
		b.Add(i, t0)
		if i%3 == 0 {
			for _, v := range b.Due(t0) {
				assert.Equal(t, next, v)
				next++
			}
		}
	}
	for _, v := range b.Drain() {
		assert.Equal(t, next, v)
		next++
	}
	assert.Equal(t, 5000, next)
}
