using System.CommandLine;
using ForgetPredict.Data;

namespace ForgetPredict.Cli.Commands;

/// <summary>
/// The one rule for naming a table's columns on the command line: a table option <c>--X FILE</c> has a companion
/// <c>--X-columns NAMES</c> (the matrix's long layout: <c>--columns</c>) taking the names in the table's role order,
/// comma-separated, parsed by <see cref="TableColumns.Parse"/> for every table alike.
/// </summary>
internal static class TableColumnsOption
{
    /// <summary>The id column of a metadata or feature table: the one role of --examples, --exclude, --tasks and the feature tables.</summary>
    public static readonly string[] IdRole = ["ID"];

    /// <summary>The companion option of <paramref name="tableOption"/>: <c>--X-columns</c>.</summary>
    /// <param name="tableOption">The table option, e.g. <c>--observed</c>.</param>
    /// <param name="roles">What each name is, e.g. EXAMPLE, VALUE.</param>
    /// <param name="defaults">What is used without the option, for the help text.</param>
    public static Option<string[]?> For(string tableOption, string[] roles, string defaults) =>
        Create($"{tableOption}-columns", $"the columns of {tableOption}", roles, defaults);

    /// <summary>An option named <paramref name="name"/> that names the columns of <paramref name="what"/>.</summary>
    public static Option<string[]?> Create(string name, string what, string[] roles, string defaults) => new(name)
    {
        Description = $"Name {what} as {string.Join(",", roles)} (default: {defaults}). "
            + (roles.SequenceEqual(IdRole)
                ? "A pandas index (a first column with no header, or 'Unnamed: 0') is the id column when it holds ids, not row numbers 0, 1, 2..., or when no other column could (every one repeats a value); otherwise it is ignored. An index of whole numbers out of order (a sorted or sampled frame's) beside another column that could hold ids is refused: name the id column."
                : "Other columns, such as a pandas index, are ignored."),
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = r =>
        {
            try
            {
                return [.. TableColumns.Parse(r.Tokens[0].Value, roles)];
            }
            catch (ArgumentException e)
            {
                r.AddError($"{name} {CliApp.Flags.Describe(e)}");
                return null;
            }
        },
    };

    /// <summary>When no id of a table matched, which column the ids were taken from and the option that names another; else empty.</summary>
    public static string IdColumnHint(string idColumn, int matched, string option) =>
        matched == 0 ? $" The ids were taken from column '{idColumn}'; name the column that holds them with {option} ID." : string.Empty;

    /// <summary>The names given to a columns option, or null when it is not given.</summary>
    public static string[]? Names(this ParseResult parse, Option<string[]?> option) => parse.GetValue(option) is { Length: > 0 } names ? names : null;

    /// <summary>The one name given to an id-column option, or null.</summary>
    public static string? Id(this ParseResult parse, Option<string[]?> option) => parse.Names(option)?[0];
}
