package i18n

// frenchAccount is the French of the account pages: sign-up, profile,
// password, reset and email verification.
func frenchAccount() map[string]string {
	return map[string]string{}
}
