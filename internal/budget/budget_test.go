package budget

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    uint64
		wantErr bool
	}{
		{"1048576", 1 << 20, false},
		{"64MiB", 64 << 20, false},
		{"1.5GiB", 3 << 29, false},
		{"500MB", 500e6, false},
		{"2KiB", 2048, false},
		{"10B", 10, false},
		{"0", 0, true},
		{"-5MiB", 0, true},
		{"MiB", 0, true},
		{"64mb", 0, true},
		{"1.2.3MB", 0, true},
		{"", 0, true},
		{"1e30GB", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestSize(t *testing.T) {
	t.Parallel()
	var got []string
	for _, n := range []uint64{512, 2048, 32 << 20, 3 << 29, 1<<20 + 1} {
		got = append(got, Size(n))
	}
	want := []string{"512B", "2KiB", "32MiB", "1.5GiB", "1.0MiB"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Size (-want +got):\n%s", diff)
	}
}
