// A Go service: what the code check finds in Go.
package main

import (
	"fmt"
	"os"
)

func main() {
	addr := os.Getenv("GO_ADDR")
	token, ok := os.LookupEnv(`GO_TOKEN`)
	region := os.Getenv("AWS_REGION")
	fmt.Println(addr, token, ok, region, "os.Getenv(\"GO_IN_A_STRING\")")
}
