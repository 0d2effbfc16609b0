package web

// The names this package's external tests use.
var (
	DurationText   = durationText
	FigureText     = figureText
	GroupsFigure   = groupsFigure
	RefusalCodes   = refusalCodes
	RefusalText    = refusalText
	RefusalView    = refusalView
	SecretRefusals = secretRefusals
)
