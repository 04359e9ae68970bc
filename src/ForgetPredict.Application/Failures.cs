using ForgetPredict.Core;

namespace ForgetPredict.Application;

/// <summary>
/// The one rule by which a front end tells an invalid setting from bad data: a setting the caller gave (a flag's value, a
/// request's field) that the library refuses is the caller's to fix where it was typed, whichever command or endpoint reads
/// it (the command line exits 2 for it, as for a flag that does not parse), while a file whose content a method cannot use
/// is bad data (exit 1).
/// </summary>
public static class Failures
{
    /// <summary>
    /// True when <paramref name="exception"/> refuses a setting rather than data: an <see cref="OptionException"/> (a message
    /// naming the options), an <see cref="ArgumentOutOfRangeException"/> of an options record's validation (<c>Rank must be in
    /// 1..1024</c>), or an <see cref="UnknownNameException"/> (a method or prior the library does not know). An exception about
    /// the matrix itself (its parameter named <c>matrix</c>: a constant matrix, too few tasks, test tasks with no measured cell) is
    /// data. A <see cref="Data.ForgettingDataException"/> is data unless the file contradicts an option the caller gave
    /// (<see cref="Data.ForgettingDataException.ContradictsOption"/>: a layout for a .npy, an id column the table lacks).
    /// </summary>
    /// <param name="exception">The exception a command or request ended with.</param>
    public static bool IsInvalidSetting(Exception exception) => exception switch
    {
        OptionException => true,
        Data.ForgettingDataException { ContradictsOption: true } => true,
        UnknownNameException => true,
        ArgumentOutOfRangeException { ParamName: not "matrix" } => true,
        _ => false,
    };
}
