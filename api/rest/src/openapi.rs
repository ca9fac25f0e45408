//! `GET /rest/v1/`: the schema as the Swagger 2.0 document PostgREST generates (tables and
//! views with their columns, types and comments, functions as `POST /rpc/<name>`), so API
//! explorers and client generators work against the local stack.

use serde_json::{json, Map, Value};

use crate::schema::{json_kind, Column, SchemaCache};

fn property(column: &Column, primary_key: bool) -> Value {
    let kind = json_kind(&column.type_name, column.type_category);
    let mut p = Map::new();
    let (ty, format) = match kind {
        "number" if matches!(column.type_name.as_str(), "int2" | "int4" | "int8") => {
            ("integer", column.sql_type.clone())
        }
        "number" => ("number", column.sql_type.clone()),
        "boolean" => ("boolean", column.sql_type.clone()),
        "array" => ("array", column.sql_type.clone()),
        "json" => ("object", column.sql_type.clone()),
        _ => ("string", column.sql_type.clone()),
    };
    if ty != "object" {
        p.insert("type".into(), json!(ty));
    }
    p.insert("format".into(), json!(format));
    if ty == "array" {
        p.insert("items".into(), json!({"type": "string"}));
    }
    let mut description = column.comment.clone().unwrap_or_default();
    if primary_key {
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str("Note:\nThis is a Primary Key.<pk/>");
    }
    if !description.is_empty() {
        p.insert("description".into(), json!(description));
    }
    if let Some(default) = &column.default {
        p.insert("default".into(), json!(default));
    }
    Value::Object(p)
}

pub fn document(cache: &SchemaCache, public_url: &str) -> Value {
    let mut paths = Map::new();
    let mut definitions = Map::new();
    paths.insert(
        "/".into(),
        json!({"get": {"tags": ["Introspection"], "summary": "OpenAPI description (this document)",
                        "produces": ["application/openapi+json", "application/json"],
                        "responses": {"200": {"description": "OK"}}}}),
    );
    for table in cache.tables.values() {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for column in &table.columns {
            properties.insert(
                column.name.clone(),
                property(column, table.primary_key.contains(&column.name)),
            );
            if !column.nullable && column.default.is_none() && !column.generated && !column.identity {
                required.push(column.name.clone());
            }
        }
        let mut definition = json!({"type": "object", "properties": properties});
        if !required.is_empty() {
            definition["required"] = json!(required);
        }
        if let Some(comment) = &table.comment {
            definition["description"] = json!(comment);
        }
        definitions.insert(table.name.clone(), definition);
        let reference = format!("#/definitions/{}", table.name);
        let filters: Vec<Value> = table
            .columns
            .iter()
            .map(|c| json!({"$ref": format!("#/parameters/rowFilter.{}.{}", table.name, c.name)}))
            .collect();
        let mut read_params = filters.clone();
        read_params.extend([
            json!({"$ref": "#/parameters/select"}),
            json!({"$ref": "#/parameters/order"}),
            json!({"$ref": "#/parameters/range"}),
            json!({"$ref": "#/parameters/rangeUnit"}),
            json!({"$ref": "#/parameters/offset"}),
            json!({"$ref": "#/parameters/limit"}),
            json!({"$ref": "#/parameters/preferCount"}),
        ]);
        let body = json!({"name": table.name, "in": "body", "required": false, "schema": {"$ref": reference}});
        let mut item = json!({
            "get": {"tags": [table.name], "summary": table.comment, "parameters": read_params,
                    "responses": {"200": {"description": "OK", "schema": {"type": "array", "items": {"$ref": reference}}},
                                  "206": {"description": "Partial Content"}}},
        });
        if !table.is_view() || table.kind == 'v' {
            item["post"] = json!({"tags": [table.name], "parameters": [body.clone(), {"$ref": "#/parameters/select"}, {"$ref": "#/parameters/preferPost"}],
                                  "responses": {"201": {"description": "Created"}}});
            let mut patch_params = filters.clone();
            patch_params.push(body);
            patch_params.push(json!({"$ref": "#/parameters/preferReturn"}));
            item["patch"] = json!({"tags": [table.name], "parameters": patch_params, "responses": {"204": {"description": "No Content"}}});
            let mut delete_params = filters;
            delete_params.push(json!({"$ref": "#/parameters/preferReturn"}));
            item["delete"] = json!({"tags": [table.name], "parameters": delete_params, "responses": {"204": {"description": "No Content"}}});
        }
        paths.insert(format!("/{}", table.name), item);
    }
    for functions in cache.functions.values() {
        let Some(function) = functions.first() else { continue };
        let mut properties = Map::new();
        let mut required = Vec::new();
        for arg in &function.args {
            properties.insert(arg.name.clone(), json!({"type": "string", "format": arg.sql_type}));
            if !arg.has_default {
                required.push(arg.name.clone());
            }
        }
        let get_params: Vec<Value> = function
            .args
            .iter()
            .map(|a| json!({"name": a.name, "in": "query", "required": !a.has_default, "type": "string", "format": a.sql_type}))
            .collect();
        let mut item = json!({
            "post": {"tags": ["(rpc) ".to_owned() + &function.name], "summary": function.comment,
                     "produces": ["application/json", "application/vnd.pgrst.object+json"],
                     "parameters": [{"name": "args", "in": "body", "required": true,
                                     "schema": {"type": "object", "required": required, "properties": properties}},
                                    {"$ref": "#/parameters/preferParams"}],
                     "responses": {"200": {"description": "OK"}}},
        });
        if function.volatility != 'v' {
            item["get"] = json!({"tags": ["(rpc) ".to_owned() + &function.name], "summary": function.comment,
                                 "parameters": get_params, "responses": {"200": {"description": "OK"}}});
        }
        paths.insert(format!("/rpc/{}", function.name), item);
    }
    let mut parameters = json!({
        "preferParams": {"name": "Prefer", "in": "header", "type": "string", "enum": ["params=single-object"]},
        "preferReturn": {"name": "Prefer", "in": "header", "type": "string", "enum": ["return=representation", "return=minimal", "return=none"]},
        "preferCount": {"name": "Prefer", "in": "header", "type": "string", "enum": ["count=none"]},
        "preferPost": {"name": "Prefer", "in": "header", "type": "string",
                       "enum": ["return=representation", "return=minimal", "return=none", "resolution=ignore-duplicates", "resolution=merge-duplicates"]},
        "select": {"name": "select", "in": "query", "type": "string", "description": "Filtering Columns"},
        "on_conflict": {"name": "on_conflict", "in": "query", "type": "string", "description": "On Conflict"},
        "order": {"name": "order", "in": "query", "type": "string", "description": "Ordering"},
        "range": {"name": "Range", "in": "header", "type": "string", "description": "Limiting and Pagination"},
        "rangeUnit": {"name": "Range-Unit", "in": "header", "type": "string", "default": "items", "description": "Limiting and Pagination"},
        "offset": {"name": "offset", "in": "query", "type": "string", "description": "Limiting and Pagination"},
        "limit": {"name": "limit", "in": "query", "type": "string", "description": "Limiting and Pagination"},
    });
    for table in cache.tables.values() {
        for column in &table.columns {
            parameters[format!("rowFilter.{}.{}", table.name, column.name)] = json!({"name": column.name, "in": "query", "type": "string", "format": column.sql_type, "required": false});
        }
    }
    let (scheme, host) = public_url.split_once("://").unwrap_or(("http", public_url));
    json!({
        "swagger": "2.0",
        "info": {"title": "OMBARO data API", "description": "PostgREST-compatible API over the public schema", "version": env!("CARGO_PKG_VERSION")},
        "host": host,
        "basePath": "/rest/v1",
        "schemes": [scheme],
        "consumes": ["application/json", "application/vnd.pgrst.object+json;nulls=stripped", "application/vnd.pgrst.object+json", "text/csv"],
        "produces": ["application/json", "application/vnd.pgrst.object+json;nulls=stripped", "application/vnd.pgrst.object+json", "text/csv"],
        "paths": paths,
        "definitions": definitions,
        "parameters": parameters,
        "externalDocs": {"description": "PostgREST Documentation", "url": "https://postgrest.org/en/v12/references/api.html"},
    })
}
