using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Wrapper.Infrastructure.OpenAI;

namespace Wrapper.Infrastructure.Configuration;

/// <summary>Checks <see cref="AzureOpenAIOptions"/> at start; every message names the setting to fix (values that are not
/// numbers or booleans at all are reported by <see cref="AliasedBinding{TOptions}"/>).</summary>
public sealed partial class AzureOpenAIOptionsValidator : IValidateOptions<AzureOpenAIOptions>
{
    private const string EndpointMessage =
        $"{ConfigurationKeys.OpenAIEndpoint} must be an absolute http(s) URL, e.g. https://my-resource.openai.azure.com/.";

    private static readonly TimeSpan MaxRequestTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan MinRequestTimeout = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LongestRetryDelay = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan LongestBaseDelay = TimeSpan.FromSeconds(10);
    private const int MostRetries = 10;
    private const int MostUpstreams = 20;
    private const int MostPriority = 100;
    private const int MostWeight = 1000;
    // Polly's circuit breaker accepts sampling and break durations from 0.5 s to one day.
    private static readonly TimeSpan MinBreakerDuration = TimeSpan.FromSeconds(0.5);
    private static readonly TimeSpan MaxBreakerDuration = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, AzureOpenAIOptions options)
    {
        var errors = new List<string>();

        if (options.Upstreams.Count == 0 && !IsHttpUrl(options.Endpoint))
        {
            errors.Add(EndpointMessage);
        }

        if (!AzureOpenAIServiceVersions.IsSupported(options.ApiVersion))
        {
            errors.Add($"{ConfigurationKeys.OpenAIApiVersion} '{options.ApiVersion}' is not supported; " +
                       $"use one of: {string.Join(", ", AzureOpenAIServiceVersions.Supported)}.");
        }

        if (string.IsNullOrWhiteSpace(options.Deployment) || !DeploymentName().IsMatch(options.Deployment))
        {
            errors.Add($"{ConfigurationKeys.OpenAIDeployment} must be a deployment name of 1 to 64 letters, digits, '-', '_' or '.', " +
                       $"e.g. {AzureOpenAIOptions.DefaultDeployment}.");
        }

        if (options.RequestTimeout < MinRequestTimeout || options.RequestTimeout > MaxRequestTimeout)
        {
            errors.Add($"{ConfigurationKeys.RequestTimeoutSeconds} must be between {MinRequestTimeout.TotalSeconds} and " +
                       $"{MaxRequestTimeout.TotalSeconds} seconds.");
        }

        if (options.MaxRetries is < 0 or > MostRetries)
        {
            errors.Add($"{ConfigurationKeys.MaxRetries} must be between 0 and {MostRetries}.");
        }

        if (options.MaxRetryDelay < TimeSpan.Zero || options.MaxRetryDelay > LongestRetryDelay)
        {
            errors.Add($"{ConfigurationKeys.MaxRetryDelaySeconds} must be between 0 and {LongestRetryDelay.TotalSeconds} seconds.");
        }

        if (options.RetryBaseDelay < TimeSpan.Zero || options.RetryBaseDelay > LongestBaseDelay)
        {
            errors.Add($"{ConfigurationKeys.RetryBaseDelayMs} must be between 0 and {LongestBaseDelay.TotalMilliseconds} milliseconds.");
        }

        ValidateUpstreams(options, errors);
        ValidatePool(options, errors);

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool IsHttpUrl(Uri? uri) => uri is { IsAbsoluteUri: true, Scheme: "http" or "https", Host.Length: > 0 };

    private static void ValidateUpstreams(AzureOpenAIOptions options, List<string> errors)
    {
        if (options.Upstreams.Count > MostUpstreams)
        {
            errors.Add($"{ConfigurationKeys.Upstreams} may list at most {MostUpstreams} upstreams.");
        }

        var resolved = options.ResolveUpstreams();
        for (var i = 0; i < options.Upstreams.Count; i++)
        {
            var key = $"{ConfigurationKeys.Upstreams}:{i}";
            var upstream = resolved[i];
            if (!IsHttpUrl(upstream.Endpoint))
            {
                errors.Add($"{key}:Endpoint must be an absolute http(s) URL, e.g. https://my-resource.openai.azure.com/.");
            }

            if (string.IsNullOrWhiteSpace(upstream.Deployment) || !DeploymentName().IsMatch(upstream.Deployment))
            {
                errors.Add($"{key}:Deployment must be a deployment name of 1 to 64 letters, digits, '-', '_' or '.'.");
            }

            if (!AzureOpenAIServiceVersions.IsSupported(upstream.ApiVersion))
            {
                errors.Add($"{key}:ApiVersion '{upstream.ApiVersion}' is not supported; " +
                           $"use one of: {string.Join(", ", AzureOpenAIServiceVersions.Supported)}.");
            }

            if (upstream.Name is { } name && !UpstreamName().IsMatch(name))
            {
                errors.Add($"{key}:Name must be 1 to 64 letters, digits, '-', '_', '.', ':' or brackets.");
            }

            if (upstream.Priority is < 1 or > MostPriority)
            {
                errors.Add($"{key}:Priority must be between 1 (preferred) and {MostPriority}.");
            }

            if (upstream.Weight is < 1 or > MostWeight)
            {
                errors.Add($"{key}:Weight must be between 1 and {MostWeight}.");
            }
        }

        foreach (var duplicate in resolved.Where(u => u.Name is not null).GroupBy(u => u.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            errors.Add($"Two upstreams in {ConfigurationKeys.Upstreams} are named '{duplicate.Key}'; give each a distinct Name.");
        }
    }

    private static void ValidatePool(AzureOpenAIOptions options, List<string> errors)
    {
        if (options.AttemptTimeout is { } attempt && (attempt < MinRequestTimeout || attempt > MaxRequestTimeout))
        {
            errors.Add($"{ConfigurationKeys.AttemptTimeoutSeconds} must be between {MinRequestTimeout.TotalSeconds} and " +
                       $"{MaxRequestTimeout.TotalSeconds} seconds.");
        }

        if (options.StreamIdleTimeout is { } idle && (idle < MinRequestTimeout || idle > MaxRequestTimeout))
        {
            errors.Add($"{ConfigurationKeys.StreamIdleTimeoutSeconds} must be between {MinRequestTimeout.TotalSeconds} and " +
                       $"{MaxRequestTimeout.TotalSeconds} seconds.");
        }

        if (options.MaxUpstreamAttempts is < 1 or > MostUpstreams)
        {
            errors.Add($"{ConfigurationKeys.MaxUpstreamAttempts} must be between 1 and {MostUpstreams}.");
        }

        var breaker = options.CircuitBreaker;
        if (breaker.FailureRatio is <= 0 or > 1 || double.IsNaN(breaker.FailureRatio))
        {
            errors.Add($"{ConfigurationKeys.CircuitBreakerFailureRatio} must be greater than 0 and at most 1.");
        }

        if (breaker.MinimumThroughput is < 2 or > 10_000)
        {
            errors.Add($"{ConfigurationKeys.CircuitBreakerMinimumThroughput} must be between 2 and 10000.");
        }

        if (breaker.SamplingDuration < MinBreakerDuration || breaker.SamplingDuration > MaxBreakerDuration)
        {
            errors.Add($"{ConfigurationKeys.CircuitBreakerSamplingDurationSeconds} must be between {MinBreakerDuration.TotalSeconds} and " +
                       $"{MaxBreakerDuration.TotalSeconds} seconds.");
        }

        if (breaker.BreakDuration < MinBreakerDuration || breaker.BreakDuration > MaxBreakerDuration)
        {
            errors.Add($"{ConfigurationKeys.CircuitBreakerBreakDurationSeconds} must be between {MinBreakerDuration.TotalSeconds} and " +
                       $"{MaxBreakerDuration.TotalSeconds} seconds.");
        }

        if (breaker.MisconfigurationBreakDuration < MinBreakerDuration || breaker.MisconfigurationBreakDuration > MaxBreakerDuration)
        {
            errors.Add($"{ConfigurationKeys.CircuitBreakerMisconfigurationBreakSeconds} must be between {MinBreakerDuration.TotalSeconds} and " +
                       $"{MaxBreakerDuration.TotalSeconds} seconds.");
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9._:\[\]-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex UpstreamName();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex DeploymentName();
}
