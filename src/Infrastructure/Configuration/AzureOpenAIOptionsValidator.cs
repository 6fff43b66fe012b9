using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Wrapper.Infrastructure.OpenAI;

namespace Wrapper.Infrastructure.Configuration;

/// <summary>Checks <see cref="AzureOpenAIOptions"/> at start; every message names the setting to fix.</summary>
public sealed partial class AzureOpenAIOptionsValidator : IValidateOptions<AzureOpenAIOptions>
{
    private const string EndpointMessage =
        $"{ConfigurationKeys.OpenAIEndpoint} must be an absolute http(s) URL, e.g. https://my-resource.openai.azure.com/.";

    private static readonly TimeSpan MaxRequestTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan MinRequestTimeout = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LongestRetryDelay = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan LongestBaseDelay = TimeSpan.FromSeconds(10);
    private const int MostRetries = 10;

    public ValidateOptionsResult Validate(string? name, AzureOpenAIOptions options)
    {
        var errors = new List<string>(options.BindingErrors);

        if (options.Endpoint is not { IsAbsoluteUri: true, Scheme: "http" or "https", Host.Length: > 0 })
        {
            errors.Add(EndpointMessage);
        }

        if (!AzureOpenAIServiceVersions.TryParse(options.ApiVersion, out _))
        {
            errors.Add($"{ConfigurationKeys.OpenAIApiVersion} '{options.ApiVersion}' is not supported by Azure.AI.OpenAI; " +
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

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex DeploymentName();
}
