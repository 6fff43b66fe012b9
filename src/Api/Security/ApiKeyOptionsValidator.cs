using Microsoft.Extensions.Options;

namespace Wrapper.Api.Security;

/// <summary>
/// Refuses, at start, client key configuration that would otherwise leave authentication weaker than the operator
/// meant (or switch it off): an entry without a key, a key hash that is not 64 hexadecimal digits, a key shorter than
/// <see cref="ApiKeyOptions.MinimumKeyLength"/> characters or not made of printable ASCII, an entry with both a key and
/// a hash, and one key given to two entries. Messages name the entry (<c>Auth:ApiKeys:2:KeyHash</c>,
/// <c>API_KEYS entry 3</c>), never the key.
/// </summary>
public sealed class ApiKeyOptionsValidator : IValidateOptions<ApiKeyOptions>
{
    private readonly IConfiguration? _configuration;

    public ApiKeyOptionsValidator()
    {
    }

    /// <summary>Also checks that <c>Auth:ApiKeys</c> in <paramref name="configuration"/> is a list, not one value.</summary>
    public ApiKeyOptionsValidator(IConfiguration configuration) => _configuration = configuration;

    public ValidateOptionsResult Validate(string? name, ApiKeyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = Problems(options).ToList();
        var list = $"{ApiKeyOptions.SectionName}:ApiKeys";
        if (!string.IsNullOrEmpty(_configuration?[list]))
        {
            // Auth__ApiKeys=<key> binds to no entry at all: refuse it rather than start open.
            failures.Insert(0, $"{list} must be a list of entries ({list}:0:Name, {list}:0:KeyHash, ...), not a single value; for a comma-separated list of keys use {ApiKeyOptions.EnvironmentKey}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Every problem of the configured keys, one message per entry (plus one per repeated key).</summary>
    public static IReadOnlyList<string> Problems(ApiKeyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var entry = options.ApiKeys[i] ?? new ApiKeyEntry();
            if (Problem(entry, i) is { } problem)
            {
                failures.Add(problem);
                continue;
            }

            // One key, one client: a key listed twice would make the client it stands for depend on the order.
            var digest = Convert.ToHexString(entry.ToClient(i).KeyHash);
            if (owners.TryGetValue(digest, out var first))
            {
                failures.Add($"{entry.Label(i)} has the same key as {first}; a key may belong to one entry only (give a client several keys, not a key several entries)");
            }
            else
            {
                owners[digest] = entry.Label(i);
            }
        }

        return failures;
    }

    /// <summary>Why the entry cannot be used, or null when it can. Names the entry, never the key. No final period:
    /// <see cref="OptionsValidationException"/> joins the messages with "; ".</summary>
    public static string? Problem(ApiKeyEntry entry, int index)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var label = entry.Label(index);
        var configured = entry.Source is null || !entry.Source.StartsWith(ApiKeyOptions.EnvironmentKey, StringComparison.Ordinal);
        string Field(string field) => configured ? $"{label}:{field}" : $"{label}'s {field.ToLowerInvariant()}";

        if (entry.Name is { } name && name.Any(char.IsControl))
        {
            return $"{Field("Name")} contains control characters";
        }

        if (entry.HasKey && entry.HasKeyHash)
        {
            return $"{label} has both Key and KeyHash; set one of them";
        }

        if (!entry.HasKey && !entry.HasKeyHash)
        {
            return configured
                ? $"{label} has no key: set {label}:KeyHash (the key's SHA-256, 64 hexadecimal digits) or {label}:Key"
                : $"{label} has no key: write name:key or a plain key between the commas";
        }

        if (entry.HasKeyHash)
        {
            var hash = entry.KeyHash!.Trim();
            return hash.Length == 64 && hash.All(char.IsAsciiHexDigit)
                ? null
                : $"{Field("KeyHash")} must be the key's SHA-256 as 64 hexadecimal digits (printf %s \"$KEY\" | sha256sum)";
        }

        var key = entry.Key!;
        if (!key.All(c => c is > ' ' and < (char)127))
        {
            return $"{Field("Key")} must be printable ASCII without spaces (it travels in an HTTP header)";
        }

        return key.Length < ApiKeyOptions.MinimumKeyLength
            ? $"{Field("Key")} is shorter than {ApiKeyOptions.MinimumKeyLength} characters; use a long random key (openssl rand -hex 32)"
            : null;
    }
}
