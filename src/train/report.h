// report.h: RUN/report.html, a run seen in a browser.
//
// One self-contained HTML file (no network: the grids are the PNGs beside it
// in the run folder, the charts are SVG drawn by the page's own script from
// figures written into it): the configuration and data set, the Wasserstein
// estimate (raw and median-filtered), Loss_G, the gradient penalty and the
// SWD against its real-vs-real floor (hover shows the values), the fixed-
// noise grids over time with a slider, images/s and the ETA, and `fakeit
// eval`'s verdicts when RUN/eval.json is there. While the run trains the page
// reloads itself; when it ends it says how.
//
// Written by train at every sample point and at the end, and by `fakeit
// report RUN` on demand; always whole (written aside, then renamed).
#ifndef FAKEIT_REPORT_H
#define FAKEIT_REPORT_H

typedef enum { REPORT_TRAINING, REPORT_FINISHED, REPORT_STOPPED, REPORT_DIVERGED, REPORT_FAILED } ReportStatus;

// Writes RUN/report.html from the run folder's files (metrics.csv, the
// grids, eval.json) and `meta`, the run's configuration and targets as a JSON
// object of strings (the state file's metadata; NULL: read
// RUN/state.safetensors). 0, or -1 after printing.
int report_write(const char *run_dir, ReportStatus status, const char *meta);

// `fakeit report RUN`: the status from the run folder (a process holding its
// lock is training; else finished when the state reached its target, else
// stopped), then report_write. 0, or 1 / 2 after printing.
int report_run(const char *run_dir);

#endif
