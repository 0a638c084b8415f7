// A worker process for the crash test: it serves the job type "crash.test" on
// the given SQLite file until SIGTERM.
//   --mode hang   the processor writes the job id to --marker and never returns
//                 (the test then SIGKILLs the process in the middle of the job)
//   --mode work   the processor appends the job id to --marker and succeeds
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "queue/sqlite_job_queue.h"
#include "queue/worker_pool.h"

using namespace cancelflow;

int main(int argc, char** argv) {
  std::string db_path, mode, marker;
  int lease_ms = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--db") db_path = argv[i + 1];
    else if (flag == "--mode") mode = argv[i + 1];
    else if (flag == "--marker") marker = argv[i + 1];
    else if (flag == "--lease-ms") lease_ms = std::stoi(argv[i + 1]);
  }
  if (db_path.empty() || marker.empty() || (mode != "hang" && mode != "work")) {
    std::cerr << "usage: queue_crash_worker --db PATH --mode hang|work --marker FILE [--lease-ms N]\n";
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto db = store::SqliteDatabase::Open(db_path);
  if (!db) {
    std::cerr << db.status().ToString() << "\n";
    return 1;
  }
  queue::SqliteJobQueue q(**db, SystemClock::Get());
  queue::WorkerPool pool(q, SystemClock::Get(),
                         {.concurrency = mode == "hang" ? 1 : 4, .lease = Millis(lease_ms), .idle_wait = Millis(100)});
  std::mutex marker_mu;
  pool.Register("crash.test", [&](const queue::Job& job, std::stop_token) -> Status {
    {
      std::lock_guard lock(marker_mu);
      std::ofstream(marker, std::ios::app) << job.id << "\n" << std::flush;
    }
    if (mode == "hang") {
      for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));  // killed while here
    }
    return Status::Ok();
  });
  pool.Start();
  int sig = 0;
  sigwait(&signals, &sig);
  pool.Stop(Millis(5000));
  return 0;
}
