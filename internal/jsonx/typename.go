package jsonx

import (
	"encoding/json"
	"fmt"
	"math/big"
)

// TypeName is the JSON type of a decoded value, in JSON Schema's words:
// "null", "boolean", "number", "string", "array" or "object". Every Go
// number a decoder or gojq produces (float64, the integer kinds,
// json.Number, *big.Int, *big.Float) is a "number". A value no JSON decoder
// yields is named by its Go type, so a message still says what it got.
//
// Error messages across tide name JSON types with this one function, so a
// user reads the same word for the same thing whichever part complains.
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64, float32, int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64, json.Number, *big.Int, *big.Float:
		return "number"
	case string:
		return "string"
	case []any, []string, []map[string]any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
