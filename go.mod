module github.com/streamkit/streamkit

go 1.23.0

require (
	github.com/google/go-cmp v0.7.0
	golang.org/x/net v0.43.0
	pgregory.net/rapid v1.2.0
)
