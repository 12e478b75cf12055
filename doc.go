// Package streamkit is Python's asyncio Streams for Go, as an
// io.Reader-composable codec toolkit.
package streamkit
