package members

// AddressKey is the key a per-address limit counts a client address under:
// an IPv4 address, or the /64 prefix of an IPv6 one (the login limit's
// rule, for the ui's sign-up limit).
func AddressKey(raw string) string {
	_, key := clientAddress(raw)
	return key
}
