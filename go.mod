module github.com/streamkit/streamkit

go 1.23.0

require (
	github.com/google/go-cmp v0.7.0 // indirect
	golang.org/x/net v0.43.0 // indirect
	pgregory.net/rapid v1.2.0 // indirect
)
