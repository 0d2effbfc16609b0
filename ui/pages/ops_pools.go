package pages

import (
	"strconv"

	"coop/pooling"
	"coop/ui/components"
)

// OpsPools is the operators' page of pools: the pools that exist and the
// form that creates one, with its schema and its documentation.
type OpsPools struct {
	Page   components.Page
	Pools  []pooling.Pool
	Form   PoolForm
	Error  components.FormError
	Script string // forms.js: each field row shows its type's inputs only
}

// PoolForm is the pool creation form as typed; a refused form comes back
// with what was typed.
type PoolForm struct {
	ID            string
	Title         string
	Documentation pooling.Documentation
	Fields        []PoolFieldForm // PoolFormFields rows; a row without a name is unused
}

// PoolFormFields is how many field rows the creation form offers.
const PoolFormFields = 6

// PoolFieldForm is one row of the schema in the creation form.
type PoolFieldForm struct {
	Name             string
	LabelFR, LabelEN string
	Type             string // number, category or month
	Min, Max         string // a number's
	Unit, Bins       string // a number's
	Values           string // a category's: one per line, "value | French label | English label"
	From, To         string // a month's range, YYYY-MM
}

// fieldName is the name of an input of the i-th field row.
func fieldName(i int, attr string) string { return "field." + strconv.Itoa(i) + "." + attr }

// fieldID is the id of an input of the i-th field row.
func fieldID(prefix string, i int) string { return prefix + "-" + strconv.Itoa(i) }

// fieldErr is the name a refusal gives to an input of the i-th field
// (pooling.Pool.Validate: "fields.2.max").
func fieldErr(i int, attr string) string { return "fields." + strconv.Itoa(i) + "." + attr }
