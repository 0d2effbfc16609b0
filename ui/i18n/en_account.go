package i18n

// englishAccount is the English of the account pages: sign-up, profile,
// password, reset and email verification.
func englishAccount() map[string]string {
	return map[string]string{}
}
