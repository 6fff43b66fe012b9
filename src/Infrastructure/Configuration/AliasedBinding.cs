using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Wrapper.Infrastructure.Configuration;

/// <summary>
/// Binds options with <see cref="ConfigurationBinder"/> from configuration sections and key aliases (the original
/// environment variable names, e.g. <c>OPENAI_ENDPOINT</c> → <c>Endpoint</c>); later sources win. The one home of the
/// rules every setting follows: values are trimmed, a blank value counts as unset, and a value that does not fit its
/// property (a number, a whole number, true/false) fails the start with a message naming the key it was read from,
/// instead of the binder's exception. Properties of other types than strings, URLs, numbers, booleans, lists,
/// dictionaries and this project's option classes (e.g. a certificate) are never read from configuration.
/// </summary>
public sealed class AliasedBinding<TOptions> : IConfigureOptions<TOptions>, IValidateOptions<TOptions>
    where TOptions : class
{
    // The binder cannot report every bad value with its key, so values are checked (and normalised) before it sees them.
    private readonly Lazy<(IConfiguration Values, IReadOnlyList<string> Errors)> _read;

    /// <param name="configuration">The application's configuration.</param>
    /// <param name="sources">Where each value comes from: a section or key of <paramref name="configuration"/>
    /// (<c>From</c>) and the path it binds to in <typeparamref name="TOptions"/> (<c>To</c>, empty for the root).</param>
    public AliasedBinding(IConfiguration configuration, IReadOnlyList<(string From, string To)> sources)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(sources);
        _read = new Lazy<(IConfiguration, IReadOnlyList<string>)>(() => Read(configuration, sources));
    }

    /// <summary>The configuration errors found (empty when every value fits its property).</summary>
    public IReadOnlyList<string> Errors => _read.Value.Errors;

    public void Configure(TOptions options) => _read.Value.Values.Bind(options);

    public ValidateOptionsResult Validate(string? name, TOptions options) =>
        Errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(Errors);

    private static (IConfiguration, IReadOnlyList<string>) Read(IConfiguration configuration, IReadOnlyList<(string From, string To)> sources)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var errors = new List<string>();
        foreach (var (from, to) in sources)
        {
            var section = configuration.GetSection(from);
            // A section that has children is read through them, even when a source also gives the section itself a value.
            var leaves = section.GetChildren().Any()
                ? section.AsEnumerable(makePathsRelative: true).Where(p => p.Value is not null)
                : section.Value is { } own ? [new KeyValuePair<string, string?>(string.Empty, own)] : [];
            foreach (var (relative, raw) in leaves)
            {
                var sourceKey = relative.Length == 0 ? from : $"{from}:{relative}";
                var target = to.Length == 0 ? relative : relative.Length == 0 ? to : $"{to}:{relative}";
                var text = raw?.Trim();
                if (string.IsNullOrEmpty(text) || TypeAt(typeof(TOptions), target) is not { } type)
                {
                    continue;
                }

                if (Normalise(type, text, sourceKey, out var error) is { } value)
                {
                    values[target] = value;
                }
                else
                {
                    values.Remove(target); // a bad value hides an earlier good one: the start fails anyway
                    errors.Add(error!);
                }
            }
        }

        return (new ConfigurationBuilder().AddInMemoryCollection(values).Build(), errors);
    }

    /// <summary>The type of the settable property at <paramref name="path"/>, or null when no supported property is there.</summary>
    private static Type? TypeAt(Type type, string path)
    {
        foreach (var segment in path.Split(':'))
        {
            if (Generic(type, typeof(Dictionary<,>)) is { } dictionary && dictionary[0] == typeof(string))
            {
                type = dictionary[1];
            }
            else if (Generic(type, typeof(List<>)) is { } list)
            {
                if (!int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    return null;
                }

                type = list[0];
            }
            else if (IsOptionsClass(type)
                     && type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is { } property
                     && (property.SetMethod is { IsPublic: true } || !IsLeaf(property.PropertyType)))
            {
                type = property.PropertyType;
            }
            else
            {
                return null;
            }
        }

        return IsLeaf(type) ? type : null;
    }

    private static Type[]? Generic(Type type, Type definition) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == definition ? type.GetGenericArguments() : null;

    private static bool IsOptionsClass(Type type) =>
        type.IsClass && type.Namespace?.StartsWith("Wrapper.", StringComparison.Ordinal) == true;

    private static bool IsLeaf(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(string) || type == typeof(Uri) || type == typeof(bool) || type == typeof(int) || type == typeof(double);
    }

    /// <summary>The value as the binder reads it, or null with <paramref name="error"/> naming <paramref name="key"/>.</summary>
    private static string? Normalise(Type type, string text, string key, out string? error)
    {
        error = null;
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return text;
        }

        if (type == typeof(Uri))
        {
            // Relative or malformed URLs are kept: the options' validator explains what is expected.
            return text;
        }

        if (type == typeof(bool))
        {
            if (bool.TryParse(text, out var flag))
            {
                return flag ? "true" : "false";
            }

            error = $"{key} must be true or false.";
            return null;
        }

        // Absurd magnitudes are refused here: TimeSpan.FromSeconds would throw on them before validation could explain.
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number)
            || Math.Abs(number) >= 1e9)
        {
            error = $"{key} must be a number, got '{text}'.";
            return null;
        }

        if (type == typeof(int))
        {
            if (number != Math.Floor(number))
            {
                error = $"{key} must be a whole number, got '{text}'.";
                return null;
            }

            return ((int)number).ToString(CultureInfo.InvariantCulture);
        }

        return number.ToString("R", CultureInfo.InvariantCulture);
    }
}

public static class AliasedBindingExtensions
{
    /// <summary>Binds <typeparamref name="TOptions"/> from <paramref name="sources"/> (see <see cref="AliasedBinding{TOptions}"/>)
    /// and reports values that do not fit at start (with <see cref="OptionsBuilderExtensions.ValidateOnStart{TOptions}"/>).</summary>
    public static OptionsBuilder<TOptions> BindWithAliases<TOptions>(this IServiceCollection services, IConfiguration configuration,
        params (string From, string To)[] sources)
        where TOptions : class
    {
        var binding = new AliasedBinding<TOptions>(configuration, sources);
        services.AddSingleton<IConfigureOptions<TOptions>>(binding);
        services.AddSingleton<IValidateOptions<TOptions>>(binding);
        return services.AddOptions<TOptions>().ValidateOnStart();
    }
}
