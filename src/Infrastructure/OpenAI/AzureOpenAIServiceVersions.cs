using Azure.AI.OpenAI;

namespace Wrapper.Infrastructure.OpenAI;

/// <summary>The API versions an upstream may use: <see cref="V1"/> (the v1 API, called through the <c>OpenAI</c>
/// package's client at <c>{resource}/openai/v1/</c>), or a dated version Azure.AI.OpenAI knows, by its wire name
/// (<c>2025-04-01-preview</c>), derived from <see cref="AzureOpenAIClientOptions.ServiceVersion"/> so that an SDK upgrade
/// brings its new versions along.</summary>
public static class AzureOpenAIServiceVersions
{
    /// <summary>The v1 API (generally available since August 2025): no api-version, routes under <c>/openai/v1/</c>.</summary>
    public const string V1 = "v1";

    private static readonly Dictionary<string, AzureOpenAIClientOptions.ServiceVersion> ByName =
        Enum.GetValues<AzureOpenAIClientOptions.ServiceVersion>()
            .ToDictionary(WireName, v => v, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every supported dated version, oldest first.</summary>
    public static IReadOnlyList<string> Dated { get; } =
        Enum.GetValues<AzureOpenAIClientOptions.ServiceVersion>().Order().Select(WireName).ToArray();

    /// <summary>Every supported value of OPENAI_API_VERSION: <see cref="V1"/>, then the dated versions.</summary>
    public static IReadOnlyList<string> Supported { get; } = [V1, .. Dated];

    /// <summary>True for <c>v1</c> (case-insensitive).</summary>
    public static bool IsV1(string? name) => string.Equals(name?.Trim(), V1, StringComparison.OrdinalIgnoreCase);

    /// <summary>True for <see cref="V1"/> or a dated version Azure.AI.OpenAI knows.</summary>
    public static bool IsSupported(string? name) => IsV1(name) || TryParse(name, out _);

    /// <summary>Finds the SDK value of a dated wire name; case-insensitive.</summary>
    public static bool TryParse(string? name, out AzureOpenAIClientOptions.ServiceVersion version) =>
        ByName.TryGetValue(name?.Trim() ?? string.Empty, out version);

    /// <summary><c>V2025_04_01_Preview</c> → <c>2025-04-01-preview</c>.</summary>
    private static string WireName(AzureOpenAIClientOptions.ServiceVersion version) =>
        version.ToString().TrimStart('V').Replace('_', '-').ToLowerInvariant();
}
