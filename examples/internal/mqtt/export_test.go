package mqtt

// ParseFixedHeader is parseFixedHeader, for the tests of the remaining
// length.
var ParseFixedHeader = parseFixedHeader
