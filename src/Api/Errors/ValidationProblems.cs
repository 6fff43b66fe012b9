using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Wrapper.Api.Errors;

/// <summary>Builds the 400 body for invalid input, the same whether the application's validator or the JSON
/// reader found the problem: <c>errors</c> keyed by JSON path (<c>messages[0].role</c>, <c>query</c>, or
/// <c>body</c> for the body as a whole), never with exception text.</summary>
public static class ValidationProblems
{
    public const string Title = "One or more validation errors occurred.";
    public const string Detail = "See 'errors' for the fields to fix.";

    /// <summary>Key used when the body as a whole is missing or unreadable.</summary>
    public const string BodyKey = "body";

    private const string MissingBody = "A JSON request body is required.";

    public static ValidationProblemDetails Create(IReadOnlyDictionary<string, string[]> errors)
    {
        var problem = new ValidationProblemDetails(errors.ToDictionary(e => e.Key, e => e.Value))
        {
            Status = StatusCodes.Status400BadRequest,
            Type = ProblemTypes.BadRequest,
            Title = Title,
            Detail = Detail,
        };
        problem.Extensions["code"] = ProblemCodes.ValidationFailed;
        return problem;
    }

    /// <summary>The <see cref="Microsoft.AspNetCore.Mvc.ApiBehaviorOptions.InvalidModelStateResponseFactory"/>:
    /// turns MVC model-binding failures (malformed JSON, wrong JSON types, missing body) into the same shape.</summary>
    public static IActionResult FromModelState(ActionContext context)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var bodyParameters = context.ActionDescriptor.Parameters
            .Where(p => p.BindingInfo?.BindingSource == BindingSource.Body)
            .Select(p => p.Name)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);

        foreach (var (key, entry) in context.ModelState)
        {
            if (entry.Errors.Count == 0)
            {
                continue;
            }

            foreach (var error in entry.Errors)
            {
                // A syntax error makes the whole body unreadable, wherever the reader stopped.
                var field = IsSyntaxError(error) ? BodyKey : NormalizeKey(key, bodyParameters);
                var message = IsSyntaxError(error) ? "The request body is not valid JSON." : DescribeError(field, error);
                if (!errors.TryGetValue(field, out var messages))
                {
                    errors[field] = messages = [];
                }

                if (!messages.Contains(message))
                {
                    messages.Add(message);
                }
            }
        }

        // When the body could not be read, MVC also reports the body parameter as missing; that says nothing
        // new when a specific field is already named.
        if (errors.Count > 1 && errors.TryGetValue(BodyKey, out var bodyMessages))
        {
            bodyMessages.Remove(MissingBody);
            if (bodyMessages.Count == 0)
            {
                errors.Remove(BodyKey);
            }
        }

        var problem = Create(errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
        // Let the registered ProblemDetails customisation add traceId, correlationId and instance.
        var options = context.HttpContext.RequestServices.GetService<Microsoft.Extensions.Options.IOptions<ProblemDetailsOptions>>();
        options?.Value.CustomizeProblemDetails?.Invoke(new ProblemDetailsContext { HttpContext = context.HttpContext, ProblemDetails = problem });
        return new BadRequestObjectResult(problem) { ContentTypes = { "application/problem+json" } };
    }

    private static string NormalizeKey(string key, HashSet<string> bodyParameters)
    {
        // System.Text.Json reports JSON paths ("$.messages[0].role", "$"); MVC uses the parameter name for the body itself.
        var field = key.StartsWith("$.", StringComparison.Ordinal) ? key[2..] : key.TrimStart('$');
        if (field.Length == 0 || bodyParameters.Contains(field))
        {
            return BodyKey;
        }

        return field;
    }

    // System.Text.Json wraps the reader's own (syntax) exception; a type mismatch has no such inner exception.
    private static bool IsSyntaxError(ModelError error) =>
        error.Exception is System.Text.Json.JsonException { InnerException: System.Text.Json.JsonException };

    private static string DescribeError(string field, ModelError error)
    {
        if (error.Exception is not null || string.IsNullOrEmpty(error.ErrorMessage))
        {
            // The reader's own message names CLR types and byte offsets: describe the problem instead.
            return field == BodyKey
                ? "The request body must be a valid JSON object."
                : $"'{field}' is malformed or has the wrong JSON type.";
        }

        if (field == BodyKey)
        {
            return MissingBody;
        }

        return error.ErrorMessage;
    }
}
