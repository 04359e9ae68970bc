using System.Reflection;
using System.Text;
using ForgetPredict.Testing;

namespace ForgetPredict.Library.Tests;

/// <summary>
/// The public API of the NuGet packages (Core, Data, Reports, Frames), one line per type and member, compared with
/// Approved/PublicApi.approved.txt so an API change is a deliberate, reviewed edit. After an intended change regenerate it
/// with <c>make api</c> (FP_UPDATE_API=1 dotnet test tests/ForgetPredict.Library.Tests --filter PublicApi).
/// </summary>
public sealed class PublicApiTests
{
    private static readonly string[] s_assemblies = ["ForgetPredict.Core", "ForgetPredict.Data", "ForgetPredict.Reports", "ForgetPredict.Frames"];

    [Fact]
    public void PublicApi_MatchesTheApprovedSnapshot()
    {
        var text = PublicApi.Describe(s_assemblies.Select(Assembly.Load));
        if (Environment.GetEnvironmentVariable("FP_UPDATE_API") == "1")
        {
            File.WriteAllText(Path.Combine(RepoPaths.Root, "tests", "ForgetPredict.Library.Tests", "Approved", "PublicApi.approved.txt"), text);
        }

        Approvals.Verify(text, "PublicApi");
    }

    [Fact]
    public void Describe_ListsPublicMembersWithSignatures_AndNothingInternal()
    {
        var text = PublicApi.Describe([typeof(PublicApiTests).Assembly]);

        Assert.Contains("public sealed class ForgetPredict.Library.Tests.PublicApiTests", text, StringComparison.Ordinal);
        Assert.Contains("  public System.Void PublicApi_MatchesTheApprovedSnapshot()", text, StringComparison.Ordinal);
        Assert.DoesNotContain("s_assemblies", text, StringComparison.Ordinal);
        Assert.DoesNotContain("class ForgetPredict.Library.Tests.PublicApi\n", text, StringComparison.Ordinal);
    }
}

/// <summary>A stable text form of assemblies' public surface: types sorted by name, members sorted by their line.</summary>
internal static class PublicApi
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    public static string Describe(IEnumerable<Assembly> assemblies)
    {
        var text = new StringBuilder();
        foreach (var assembly in assemblies.OrderBy(a => a.GetName().Name, StringComparer.Ordinal))
        {
            text.Append("assembly ").Append(assembly.GetName().Name).Append('\n');
            foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
            {
                text.Append(TypeLine(type)).Append('\n');
                foreach (var line in Members(type).Distinct().Order(StringComparer.Ordinal))
                {
                    text.Append("  ").Append(line).Append('\n');
                }
            }
        }

        return text.ToString();
    }

    private static string TypeLine(Type type)
    {
        var kind = type.IsEnum ? "enum" : type.IsInterface ? "interface" : type.IsValueType ? (IsRecord(type) ? "record struct" : "struct")
            : typeof(Delegate).IsAssignableFrom(type) ? "delegate" : IsRecord(type) ? "record" : "class";
        var modifiers = type.IsClass && !typeof(Delegate).IsAssignableFrom(type)
            ? type.IsAbstract && type.IsSealed ? "static " : type.IsAbstract ? "abstract " : type.IsSealed ? "sealed " : string.Empty
            : type.IsValueType && !type.IsEnum && type.IsDefined(typeof(System.Runtime.CompilerServices.IsReadOnlyAttribute)) ? "readonly " : string.Empty;
        var bases = new List<string>();
        if (type.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum) && !typeof(Delegate).IsAssignableFrom(type))
        {
            bases.Add(Name(b));
        }

        bases.AddRange(type.GetInterfaces().Where(i => i.IsPublic || i.IsNestedPublic).Select(Name).Order(StringComparer.Ordinal));
        return $"public {modifiers}{kind} {Name(type)}{(bases.Count > 0 ? " : " + string.Join(", ", bases) : string.Empty)}";
    }

    private static bool IsRecord(Type type) => type.GetMethod("<Clone>$") is not null || type.GetProperty("EqualityContract", BindingFlags.NonPublic | BindingFlags.Instance) is not null
        || (type.IsValueType && type.GetMethod("PrintMembers", BindingFlags.NonPublic | BindingFlags.Instance) is not null);

    private static IEnumerable<string> Members(Type type)
    {
        if (type.IsEnum)
        {
            foreach (var name in Enum.GetNames(type))
            {
                yield return $"{name} = {Convert.ToInt64(Enum.Parse(type, name), System.Globalization.CultureInfo.InvariantCulture)}";
            }

            yield break;
        }

        foreach (var member in type.GetMembers(Declared))
        {
            var line = member switch
            {
                ConstructorInfo c when Visible(c) => $"{Access(c)}{(c.IsStatic ? "static " : string.Empty)}{type.Name.Split('`')[0]}({Parameters(c.GetParameters())})",
                MethodInfo m when Visible(m) && !m.IsSpecialName && !m.Name.Contains('<', StringComparison.Ordinal) => $"{Access(m)}{Modifiers(m)}{Name(m.ReturnType)} {m.Name}{Generic(m)}({Parameters(m.GetParameters())})",
                MethodInfo m when Visible(m) && m.IsSpecialName && m.Name.StartsWith("op_", StringComparison.Ordinal) => $"{Access(m)}static {Name(m.ReturnType)} {m.Name}({Parameters(m.GetParameters())})",
                PropertyInfo p when Accessors(p).Any(Visible) => $"{Access(Accessors(p).First(Visible))}{Modifiers(Accessors(p).First(Visible))}{Name(p.PropertyType)} {(p.GetIndexParameters().Length > 0 ? $"this[{Parameters(p.GetIndexParameters())}]" : p.Name)} {{ {string.Join(" ", Accessors(p).Where(Visible).Select(a => a == p.GetMethod ? "get;" : IsInit(a) ? "init;" : "set;"))} }}",
                FieldInfo f when f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly => $"{(f.IsPublic ? "public " : "protected ")}{(f.IsLiteral ? "const " : f.IsStatic ? "static " : string.Empty)}{(f.IsInitOnly ? "readonly " : string.Empty)}{Name(f.FieldType)} {f.Name}",
                EventInfo e when e.AddMethod is { } add && Visible(add) => $"{Access(add)}event {Name(e.EventHandlerType!)} {e.Name}",
                _ => null,
            };
            if (line is not null)
            {
                yield return line;
            }
        }
    }

    private static IEnumerable<MethodInfo> Accessors(PropertyInfo p) => new[] { p.GetMethod, p.SetMethod }.OfType<MethodInfo>();

    private static bool IsInit(MethodInfo setter) => setter.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.Name == "IsExternalInit");

    private static bool Visible(MethodBase m) => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly;

    private static string Access(MethodBase m) => m.IsPublic ? "public " : "protected ";

    private static string Modifiers(MethodInfo m) =>
        m.IsStatic ? "static " : m.DeclaringType!.IsInterface ? string.Empty : m.IsAbstract ? "abstract " : m.IsVirtual && !m.IsFinal ? (m.GetBaseDefinition() == m ? "virtual " : "override ") : m.GetBaseDefinition() != m ? "override " : string.Empty;

    private static string Generic(MethodInfo m) => m.IsGenericMethodDefinition ? $"<{string.Join(", ", m.GetGenericArguments().Select(a => a.Name))}>" : string.Empty;

    private static string Parameters(ParameterInfo[] parameters) => string.Join(", ", parameters.Select(p =>
        $"{(p.IsOut ? "out " : p.ParameterType.IsByRef ? (p.IsIn ? "in " : "ref ") : p.IsDefined(typeof(ParamArrayAttribute)) ? "params " : string.Empty)}{Name(p.ParameterType)} {p.Name}{(p.HasDefaultValue ? " = " + Default(p.DefaultValue) : string.Empty)}"));

    private static string Default(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "?",
    };

    private static string Name(Type type)
    {
        if (type.IsByRef)
        {
            return Name(type.GetElementType()!);
        }

        if (type.IsArray)
        {
            return Name(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        }

        if (Nullable.GetUnderlyingType(type) is { } inner)
        {
            return Name(inner) + "?";
        }

        if (type.IsGenericParameter)
        {
            return type.Name;
        }

        var name = type.IsNested ? Name(type.DeclaringType!) + "." + type.Name : (type.Namespace is null ? string.Empty : type.Namespace + ".") + type.Name;
        if (type.IsGenericType)
        {
            var args = type.GetGenericArguments();
            if (type.IsNested)
            {
                args = args.Skip(type.DeclaringType!.GetGenericArguments().Length).ToArray();
            }

            var tick = name.LastIndexOf('`');
            name = (tick >= 0 ? name[..tick] : name) + (args.Length > 0 ? "<" + string.Join(", ", args.Select(Name)) + ">" : string.Empty);
        }

        return name;
    }
}
