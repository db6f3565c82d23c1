#include "core/operations.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

using namespace pgcrm::operations;

namespace {
std::string moved(const std::string& schedule, int minutes) { return format_cron(shift(parse_cron(schedule), minutes)); }

std::string next(const std::string& schedule, CivilMinute after) {
    const CivilMinute n = next_run(parse_cron(schedule), after);
    char out[32];
    std::snprintf(out, sizeof out, "%04d-%02d-%02d %02d:%02d", n.year, n.month, n.day, n.hour, n.minute);
    return out;
}

void expect_refused(const std::string& schedule) {
    try {
        parse_cron(schedule);
        ADD_FAILURE() << schedule << " was accepted";
    } catch (const pgcrm::Error& e) {
        EXPECT_STREQ(e.sqlstate(), "22023") << schedule;
    }
}
}  // namespace

TEST(Cron, ParsesTheFiveFields) {
    const CronSchedule s = parse_cron("*/15 2,14 * * 1-5");
    EXPECT_EQ(s.minutes.count(), 4u);
    EXPECT_TRUE(s.minutes[0] && s.minutes[15] && s.minutes[30] && s.minutes[45]);
    EXPECT_TRUE(s.hours[2] && s.hours[14] && s.hours.count() == 2);
    EXPECT_EQ(s.days.count(), 31u);
    EXPECT_EQ(s.weekdays.count(), 5u);
    EXPECT_FALSE(s.weekdays[0] || s.weekdays[6]);
    EXPECT_EQ(format_cron(s), "*/15 2,14 * * 1-5");
}

TEST(Cron, ReadsNamesSundayAsSevenAndNicknames) {
    const CronSchedule s = parse_cron("0 9 * JAN,dec Mon");
    EXPECT_TRUE(s.months[1] && s.months[12] && s.months.count() == 2);
    EXPECT_TRUE(s.weekdays[1] && s.weekdays.count() == 1);
    EXPECT_TRUE(parse_cron("0 0 * * 7").weekdays[0]);
    EXPECT_EQ(format_cron(parse_cron("@daily")), "0 0 * * *");
    EXPECT_EQ(format_cron(parse_cron("@hourly")), "0 * * * *");
}

TEST(Cron, RefusesWhatPgCronWouldRefuse) {
    for (const char* bad : {"61 * * * *", "0 24 * * *", "0 0 0 * *", "0 0 * 13 *", "0 0 * * 8", "* * *",
                            "* * * * * *", "5-1 * * * *", "*/0 * * * *", "x * * * *", "", "0 0 * foo *"})
        expect_refused(bad);
}

// Kyiv is GMT+2 in winter and GMT+3 in summer: a Kyiv schedule runs in GMT
// (pg_cron 1.4) 120 or 180 minutes back. Expected values worked by hand.
TEST(Cron, MovesTheTimeOfDay) {
    EXPECT_EQ(moved("0 3 * * 1", -120), "0 1 * * 1");
    EXPECT_EQ(moved("0 0 * * *", -180), "0 21 * * *");
    EXPECT_EQ(moved("45 1 * * *", -180), "45 22 * * *");
    EXPECT_EQ(moved("*/5 * * * *", -120), "*/5 * * * *");
    EXPECT_EQ(moved("7 * * * *", -180), "7 * * * *");
    // India, GMT+5:30: 03:00 there is 21:30 GMT the day before; GMT to India is ahead.
    EXPECT_EQ(moved("0 3 * * *", -330), "30 21 * * *");
    EXPECT_EQ(moved("0 3 * * *", 330), "30 8 * * *");
    EXPECT_EQ(moved("0,30 3 * * *", 15), "15,45 3 * * *");
    // Every hour at :50, 15 minutes ahead: :05 of the next hour, every hour.
    EXPECT_EQ(moved("50 * * * *", 15), "5 * * * *");
}

TEST(Cron, MovesTheWeekdayWithARunThatCrossesMidnight) {
    // 01:30 Kyiv on a Monday is 23:30 GMT on the Sunday.
    EXPECT_EQ(moved("30 1 * * 1", -120), "30 23 * * 0");
    EXPECT_EQ(moved("30 1 * * 1-5", -120), "30 23 * * 0-4");
    EXPECT_EQ(moved("0 23 * * 6", 120), "0 1 * * 0");
    // Every day of the week: nothing to move.
    EXPECT_EQ(moved("30 1 * * *", -120), "30 23 * * *");
}

TEST(Cron, RefusesAMoveNoOneScheduleCanSay) {
    for (auto [schedule, minutes] : {std::pair{"0 1 1 * *", -120},       // the 1st at 01:00 is the last of the month before
                                     std::pair{"0 1 * 1 *", -120},       // 1 January 01:00 is 31 December
                                     std::pair{"0 0,12 * * 1", -120},    // one run moves to Sunday, the other stays
                                     std::pair{"0,45 1 * * *", 30},      // 01:30 and 02:15: different minutes per hour
                                     std::pair{"0 3 * * *", 24 * 60}}) {  // a day is no zone difference
        try {
            shift(parse_cron(schedule), minutes);
            ADD_FAILURE() << schedule << " moved by " << minutes;
        } catch (const pgcrm::Error& e) {
            EXPECT_STREQ(e.sqlstate(), "22023");
        }
    }
}

// Weekdays from the calendar: 2026-12-02 is a Wednesday, 2026-12-04 and -11
// Fridays, 2026-12-07 a Monday; 2028 is the next leap year.
TEST(Cron, FindsTheNextRun) {
    const CivilMinute wednesday{2026, 12, 2, 10, 0};
    EXPECT_EQ(next("0 3 * * 1", wednesday), "2026-12-07 03:00");
    EXPECT_EQ(next("*/5 * * * *", wednesday), "2026-12-02 10:05");
    EXPECT_EQ(next("0 10 * * *", wednesday), "2026-12-03 10:00");  // strictly after
    EXPECT_EQ(next("0 0 29 2 *", {2026, 3, 1, 0, 0}), "2028-02-29 00:00");
    EXPECT_EQ(next("* * * * *", {2026, 12, 31, 23, 59}), "2027-01-01 00:00");
    // Both day fields restricted: either matches (the 13th, or a Friday).
    EXPECT_EQ(next("0 0 13 * 5", wednesday), "2026-12-04 00:00");
    // A day field written with '*' restricts with the other: odd days that are Fridays.
    EXPECT_EQ(next("0 0 */2 * 5", wednesday), "2026-12-11 00:00");
}

TEST(Cron, SaysWhenAScheduleNeverRuns) {
    try {
        next_run(parse_cron("0 0 30 2 *"), {2026, 1, 1, 0, 0});
        ADD_FAILURE() << "30 February ran";
    } catch (const pgcrm::Error& e) {
        EXPECT_STREQ(e.sqlstate(), "22023");
    }
    try {
        next_run(parse_cron("* * * * *"), {9999, 12, 31, 0, 0});
        ADD_FAILURE() << "a run after 9999";
    } catch (const pgcrm::Error& e) {
        EXPECT_STREQ(e.sqlstate(), "22008");
    }
}
