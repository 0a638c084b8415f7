// The `cancelflow` command line: serve, migrate, jobs stats|failed|retry|pause|resume.
// Flags override the environment variables of DESIGN.md ("Configuration").
// Exit codes: 0 success, 1 runtime failure, 2 bad usage or configuration.
#pragma once

namespace cancelflow::app {

int RunCli(int argc, char** argv);

}  // namespace cancelflow::app
