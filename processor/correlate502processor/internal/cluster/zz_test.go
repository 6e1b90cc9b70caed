package cluster
import ("testing";"fmt";"os";"runtime";"runtime/pprof"
	corev1 "k8s.io/api/core/v1"
)
func TestZZ(t *testing.T){
	runtime.MemProfileRate = 512
	tmpl := realisticPodJSON(t)
	decodePod(t, tmpl, 0)
	n := 5000
	st := make([]*corev1.Pod, n)
	b := heapInUse()
	for i := range st { x, _ := StripPod(decodePod(t, tmpl, i)); st[i] = x.(*corev1.Pod) }
	a := heapInUse()
	fmt.Println("stripped pod bytes", (int64(a)-int64(b))/int64(n))
	runtime.GC()
	f, _ := os.Create("/tmp/heap.prof")
	pprof.Lookup("heap").WriteTo(f, 0)
	f.Close()
	runtime.KeepAlive(st)
}
