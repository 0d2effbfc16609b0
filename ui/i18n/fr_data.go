package i18n

// frenchData is the French of data entry (a reading, a CSV upload and its
// template, the problems of a file), charts and error pages.
func frenchData() map[string]string {
	return map[string]string{
		"upload.title":         "Ajouter des enregistrements depuis un fichier CSV",
		"upload.hint":          "La première ligne nomme les colonnes : %s. Séparez les valeurs par des virgules ou des points-virgules ; dans un fichier séparé par des points-virgules, comme l'enregistre un tableur en français, les nombres peuvent avoir une virgule décimale (12,5). Le fichier est ajouté en entier, ou pas du tout si une ligne est fausse.",
		"upload.template":      "Partez du modèle :",
		"upload.template.link": "modèle CSV pour « %s »",
		"upload.template.file": "modele",
		"upload.refused":       "Rien n'a été ajouté : le fichier a des problèmes, listés ci-dessous par ligne (l'en-tête est la ligne 1). Corrigez-les et envoyez le fichier à nouveau.",
		"upload.col.line":      "Ligne",
		"upload.record":        "enregistrement %s",
		"upload.file":          "tout le fichier",

		"reading.title":       "Ajouter un relevé",
		"reading.submit":      "Ajouter ce relevé",
		"reading.choose":      "Choisir…",
		"reading.hint.number": "Entre %s et %s.",
		"reading.hint.month":  "Un mois, par exemple 2026-01.",
		"reading.refused":     "Ce relevé n'a pas été ajouté : voyez les champs signalés ci-dessous.",

		"notice.reading_added.one":            "Votre relevé est ajouté.",
		"notice.reading_added.many":           "%s relevés ajoutés.",
		"notice.records_added_semicolon.one":  "%s enregistrement ajouté (fichier séparé par des points-virgules : les virgules décimales ont été lues, 12,5 comme 12.5).",
		"notice.records_added_semicolon.many": "%s enregistrements ajoutés (fichier séparé par des points-virgules : les virgules décimales ont été lues, 12,5 comme 12.5).",

		"chart.table":        "Les chiffres en tableau",
		"chart.bin":          "Tranche",
		"chart.axis.members": "Membres",
		"chart.axis.mean":    "Moyenne de %s",
		"chart.axis.sum":     "Total de %s",
		"sandbox.csv":        "Télécharger ces chiffres synthétiques (CSV)",
		"sandbox.csv.file":   "bac-a-sable",

		"layout.zone":           "Les heures sont données dans le fuseau %s.",
		"error.title.not_found": "Page introuvable",
		"error.title.server":    "Un problème est survenu",
		"error.no_page":         "Aucune page ne se trouve à cette adresse. Vérifiez le lien, ou repartez de l'accueil.",

		"rowerr.empty_file":           "Le fichier est vide : sa première ligne doit nommer les colonnes.",
		"rowerr.no_rows":              "Le fichier a un en-tête mais aucun enregistrement après lui.",
		"rowerr.too_many_rows":        "Au plus %s lignes par fichier : découpez-le en plusieurs fichiers.",
		"rowerr.csv_quote":            "Un guillemet est mal placé sur cette ligne.",
		"rowerr.csv_field_count":      "Cette ligne n'a pas autant de valeurs que l'en-tête a de colonnes.",
		"rowerr.csv_syntax":           "Cette ligne ne peut pas être lue comme du CSV.",
		"rowerr.unknown_column":       "« %s » n'est pas une colonne de ce bassin (les colonnes : %s).",
		"rowerr.duplicate_column":     "La colonne « %s » apparaît deux fois (les colonnes : %s).",
		"rowerr.missing_column":       "Cette colonne manque dans l'en-tête.",
		"rowerr.value_too_long":       "La valeur dépasse %s octets.",
		"rowerr.unknown_field":        "Ce champ ne fait pas partie du bassin.",
		"rowerr.missing_value":        "Une valeur est nécessaire.",
		"rowerr.not_number":           "« %s » n'est pas un nombre.",
		"rowerr.not_number.type":      "Un nombre est nécessaire.",
		"rowerr.out_of_range":         "%s est hors de l'intervalle %s à %s.",
		"rowerr.not_in_category":      "« %s » n'est pas l'une des valeurs : %s.",
		"rowerr.not_in_category.type": "Choisissez l'une des valeurs.",
		"rowerr.not_month":            "« %s » n'est pas un mois écrit comme 2026-01.",
		"rowerr.not_month.type":       "Un mois est nécessaire, écrit comme 2026-01.",
	}
}
