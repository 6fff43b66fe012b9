using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;

namespace Wrapper.Api.Contracts;

/// <summary>The query string of <c>GET /completion</c>.</summary>
public sealed class CompletionQuery
{
    /// <summary>The question (not blank; at most 32,000 characters by default). Absent or empty: "how are you?".</summary>
    /// <example>What is the capital of France?</example>
    // Kept as sent: MVC would turn a blank value into null (the default question); the validator rejects it instead.
    [FromQuery(Name = "query")]
    [DisplayFormat(ConvertEmptyStringToNull = false)]
    public string? Query { get; init; }
}
