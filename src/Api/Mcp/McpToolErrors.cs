using System.Text.Json;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Wrapper.Api.Errors;
using Wrapper.Application.Common.Exceptions;

namespace Wrapper.Api.Mcp;

/// <summary>The one place where tool failures become MCP tool errors (<c>isError: true</c>), built by the same
/// <see cref="ApiProblem"/> as the REST ProblemDetails (same status, code, text and Retry-After).</summary>
public static class McpToolErrors
{
    public static McpRequestHandler<CallToolRequestParams, CallToolResult> Filter(
        McpRequestHandler<CallToolRequestParams, CallToolResult> next) =>
        async (request, cancellationToken) =>
        {
            try
            {
                return await next(request, cancellationToken);
            }
            catch (ValidationException validation)
            {
                return Error(ApiProblem.Validation(validation.Errors));
            }
            catch (ClientQuotaExceededException quota)
            {
                return Error(ApiProblem.Quota(quota));
            }
            catch (ThreadNotFoundException threadNotFound)
            {
                return Error(ApiProblem.ThreadNotFound(threadNotFound));
            }
            catch (UpstreamException upstream)
            {
                return Error(ApiProblem.Upstream(upstream));
            }
            catch (JsonException json)
            {
                // The SDK could not bind an argument to its parameter type (wrong JSON type).
                return Error(StatusCodes.Status400BadRequest, InvalidArguments,
                    $"An argument has the wrong JSON type{(json.Path is { Length: > 1 } path ? $" at '{path.TrimStart('$', '.')}'" : string.Empty)}; see the tool's input schema.");
            }
            catch (ArgumentException argument) when (argument.ParamName == "arguments")
            {
                // The SDK's own binding message names the missing parameter and nothing else.
                return Error(StatusCodes.Status400BadRequest, InvalidArguments, argument.Message.Replace(" (Parameter 'arguments')", string.Empty, StringComparison.Ordinal));
            }
        };

    /// <summary>The code of arguments that do not fit the tool's input schema.</summary>
    public const string InvalidArguments = "invalid_arguments";

    /// <summary>The tool error of a problem built by <see cref="ApiProblem"/> (the REST answer's status, code and text):
    /// <c>title: detail</c> and, when the answer carries Retry-After, <c>Retry after N s.</c>; a validation failure lists
    /// its fields instead (<c>messages[0].role: ...; query: ...</c>).</summary>
    public static CallToolResult Error(ApiProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var details = problem.Details;
        var text = details is Microsoft.AspNetCore.Mvc.ValidationProblemDetails validation
            ? $"{details.Title} {string.Join("; ", validation.Errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")))}"
            : $"{details.Title}: {details.Detail}{(problem.RetryAfterSeconds is { } seconds ? $" Retry after {seconds} s." : string.Empty)}";
        return Error(problem.Status, problem.Code, text);
    }

    /// <summary>A tool error whose text starts with the code, e.g. <c>validation_failed (400): ...</c>.</summary>
    public static CallToolResult Error(int status, string code, string detail) => new()
    {
        IsError = true,
        Content = [new TextContentBlock { Text = $"{code} ({status}): {detail}" }],
    };
}
