package contract

import (
	"runtime"
	"testing"
)

func envOf(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestPortAloneGivesLoopbackAndOnePerCPU(t *testing.T) {
	c, err := configFrom(envOf(map[string]string{"PORT": "8080"}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Host: "127.0.0.1", Port: 8080, Workers: runtime.NumCPU(), OffloadThreads: runtime.NumCPU(), DBPoolSize: 16}
	if c != want {
		t.Errorf("got %+v, want %+v", c, want)
	}
}

func TestBadValuesGetTheSharedErrorTexts(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "PORT is not set (expected a whole number from 1 to 65535)"},
		{map[string]string{"PORT": "0"}, `PORT="0" is not a whole number from 1 to 65535`},
		{map[string]string{"PORT": "65536"}, `PORT="65536" is not a whole number from 1 to 65535`},
		{map[string]string{"PORT": "+80"}, `PORT="+80" is not a whole number from 1 to 65535`},
		{map[string]string{"PORT": " 80"}, `PORT=" 80" is not a whole number from 1 to 65535`},
		{map[string]string{"PORT": "1", "WORKERS": "0"}, `WORKERS="0" is not a whole number from 1 to 4096`},
		{map[string]string{"PORT": "1", "WORKERS": "4097"}, `WORKERS="4097" is not a whole number from 1 to 4096`},
		{map[string]string{"PORT": "1", "OFFLOAD_THREADS": "two"}, `OFFLOAD_THREADS="two" is not a whole number from 1 to 4096`},
		{map[string]string{"PORT": "1", "OFFLOAD_THREADS": "99999999999999999999999"}, `OFFLOAD_THREADS="99999999999999999999999" is not a whole number from 1 to 4096`},
		{map[string]string{"PORT": "1", "DB_POOL_SIZE": "0"}, `DB_POOL_SIZE="0" is not a whole number from 1 to 4096`},
		{map[string]string{"PORT": "1", "DB_POOL_SIZE": "4097"}, `DB_POOL_SIZE="4097" is not a whole number from 1 to 4096`},
		{map[string]string{"PORT": "1", "DB_POOL_SIZE": "-4"}, `DB_POOL_SIZE="-4" is not a whole number from 1 to 4096`},
		{map[string]string{"PORT": "1", "DB_POOL_SIZE": "8 "}, `DB_POOL_SIZE="8 " is not a whole number from 1 to 4096`},
	}
	for _, c := range cases {
		_, err := configFrom(envOf(c.env))
		if err == nil || err.Error() != c.want {
			t.Errorf("%v: got %v, want %q", c.env, err, c.want)
		}
	}
}

func TestEmptyValuesMeanTheDefaults(t *testing.T) {
	c, err := configFrom(envOf(map[string]string{"PORT": "1", "HOST": "", "WORKERS": "", "OFFLOAD_THREADS": "3", "DB_POOL_SIZE": ""}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Host != "127.0.0.1" || c.Workers != runtime.NumCPU() || c.OffloadThreads != 3 || c.DBPoolSize != DefaultDBPoolSize {
		t.Errorf("got %+v", c)
	}
}

func TestTheDatabaseVariablesAreTakenAsGiven(t *testing.T) {
	url := "postgres://benchmarkdbuser:benchmarkdbpass@127.0.0.1:5999/hello_world"
	c, err := configFrom(envOf(map[string]string{"PORT": "1", "DATABASE_URL": url, "DB_POOL_SIZE": "4096"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != url || c.DBPoolSize != 4096 {
		t.Errorf("got %+v", c)
	}
}
