// Package packaging holds the tests of what ships beside the binary: the
// Dockerfile's build stage, the release archives, the GitHub Action
// (action.yml) and the GitLab CI template. The tests run them the way their
// runners do, on this machine, against local fakes; there is no Go code to
// import here.
package packaging
