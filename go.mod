module github.com/logcorr/logcorr

go 1.26.0

require github.com/alecthomas/kong v1.17.0

require (
	github.com/stretchr/testify v1.12.1
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)
