// cancelflow: the service binary. Everything is in app/cli.cc.
#include "app/cli.h"

int main(int argc, char** argv) { return cancelflow::app::RunCli(argc, argv); }
