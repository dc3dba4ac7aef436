# syntax=docker/dockerfile:1
# tide as a container: `docker run --rm ghcr.io/tide-sync/tide sync ...`.
# Build: make docker  (docker build --build-arg VERSION=$(VERSION) -t tide .)

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG TARGETOS=linux
ARG TARGETARCH=amd64
# dist/dist_test.go runs this exact command (TestDockerfileBuildStage) and
# checks the binary is static and stamped; keep it on one line.
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/tide .

# The GitLab CI image (--target ci, tagged <version>-ci): the same binary
# plus busybox's sh at /busybox/sh, which GitLab's Docker executor needs to
# run a job script. Built before the runtime stage so the default target
# stays the minimal image.
FROM gcr.io/distroless/static-debian12:debug-nonroot AS ci
COPY --from=build /out/tide /usr/local/bin/tide
USER 65532:65532
ENTRYPOINT ["tide"]

# distroless/static: CA certificates, tzdata, /etc/passwd with nonroot
# (65532), no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tide /usr/local/bin/tide
USER 65532:65532
ENTRYPOINT ["tide"]
CMD ["--help"]
