// commands.h: every command of the fakeit program, one Command each
// (opts.h), defined in the command file of its group.
#ifndef FAKEIT_COMMANDS_H
#define FAKEIT_COMMANDS_H

#include "cli/opts.h"

extern const Command cmd_prepare, cmd_info, cmd_bikes;   // data.c
extern const Command cmd_train, cmd_sample, cmd_interp;  // gan.c
extern const Command cmd_eval;                           // eval.c
extern const Command cmd_upscale, cmd_srtrain, cmd_sreval;  // sr.c
extern const Command cmd_report, cmd_export;             // share.c

#endif
