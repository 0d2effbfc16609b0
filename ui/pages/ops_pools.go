package pages

import (
	"coop/pooling"
	"coop/ui/components"
)

// OpsPools is the operators' page of pools: the pools that exist and the
// form that creates one, with its schema and its documentation.
type OpsPools struct {
	Page  components.Page
	Pools []pooling.Pool
	Form  PoolForm
	Error components.FormError
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
	Name   string
	Type   string // number, category or month
	Min    string
	Max    string
	Unit   string
	Bins   string
	Values string // a category's values, separated by commas
}
