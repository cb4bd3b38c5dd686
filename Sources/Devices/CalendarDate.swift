/// A UTC date and time of day, converted to and from seconds since the epoch.
///
/// The conversion counts days in the proleptic Gregorian calendar in 400-year eras
/// (146,097 days each, starting on March 1 so that the leap day ends a year), which
/// is exact for any year and needs no tables.
struct CalendarDate: Equatable {
    var year: Int64
    /// 1-12.
    var month: Int64
    /// 1-31.
    var day: Int64
    var hour: Int64
    var minute: Int64
    var second: Int64

    private static let secondsPerDay: Int64 = 86_400
    private static let daysPerEra: Int64 = 146_097
    /// Days from 0000-03-01 to 1970-01-01.
    private static let epochOffset: Int64 = 719_468

    init(year: Int64, month: Int64, day: Int64, hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    init(secondsSinceEpoch seconds: Int64) {
        let days = Self.floorDivide(seconds, Self.secondsPerDay)
        let secondOfDay = seconds - days * Self.secondsPerDay
        hour = secondOfDay / 3600
        minute = secondOfDay / 60 % 60
        second = secondOfDay % 60

        let shifted = days + Self.epochOffset
        let era = Self.floorDivide(shifted, Self.daysPerEra)
        let dayOfEra = shifted - era * Self.daysPerEra                                   // 0...146096
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)  // from March 1
        let marchMonth = (5 * dayOfYear + 2) / 153                                      // 0 = March
        day = dayOfYear - (153 * marchMonth + 2) / 5 + 1
        month = marchMonth < 10 ? marchMonth + 3 : marchMonth - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Seconds since the epoch. Fields out of range carry over: month 13 is January
    /// of the next year, day 32 of January is February 1, hour 24 is the next day.
    var secondsSinceEpoch: Int64 {
        let months = month - 1
        let normalizedYear = year + Self.floorDivide(months, 12)
        let normalizedMonth = months - Self.floorDivide(months, 12) * 12 + 1
        let days = Self.daysSinceEpoch(year: normalizedYear, month: normalizedMonth) + day - 1
        return days * Self.secondsPerDay + hour * 3600 + minute * 60 + second
    }

    /// 0 = Sunday ... 6 = Saturday.
    var dayOfWeek: Int64 {
        let days = Self.floorDivide(secondsSinceEpoch, Self.secondsPerDay)
        let weekday = (days + 4) % 7  // 1970-01-01 was a Thursday.
        return weekday < 0 ? weekday + 7 : weekday
    }

    /// Days from the epoch to the first of `month` (1-12) in `year`.
    private static func daysSinceEpoch(year: Int64, month: Int64) -> Int64 {
        let marchYear = month <= 2 ? year - 1 : year
        let era = floorDivide(marchYear, 400)
        let yearOfEra = marchYear - era * 400
        let marchMonth = (month + 9) % 12
        let dayOfYear = (153 * marchMonth + 2) / 5
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * daysPerEra + dayOfEra - epochOffset
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
