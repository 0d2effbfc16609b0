package web

// The names this package's external tests use.
var DurationText = durationText
var FigureText = figureText
var GroupsFigure = groupsFigure
var RefusalCodes = refusalCodes
var RefusalText = refusalText
var RefusalView = refusalView
var SecretRefusals = secretRefusals
