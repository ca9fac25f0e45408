// A small app typed with the generated `Database`: it compiles only while the schema still has
// the tables, columns, enums and functions it names. cli/tests/rest_typescript.rs writes
// .generated/database.types.ts from the live schema and runs tsc on this file.
import { createClient } from '@supabase/supabase-js'
import type { Database, Tables, TablesInsert, TablesUpdate } from './.generated/database.types'

const supabase = createClient<Database>('http://127.0.0.1:54321', 'anon-key')

export async function myBookings(customerId: string): Promise<string[]> {
  const { data, error } = await supabase
    .from('bookings')
    .select('id, booking_number, status, scheduled_start, total_amount, booking_items(service_name, duration)')
    .eq('customer_id', customerId)
    .order('scheduled_start', { ascending: false })
  if (error) throw error
  return data.map((b) => `${b.booking_number} ${b.status} ${b.total_amount} ${b.booking_items.length}`)
}

export function newAddress(customerId: string): TablesInsert<'customer_addresses'> {
  return {
    customer_id: customerId,
    address_type: 'home',
    label: 'Home',
    address_line1: '12 Residency Road',
    city: 'Bengaluru',
    state: 'Karnataka',
    pincode: '560025',
  }
}

export const instructions: TablesUpdate<'bookings'> = { special_instructions: 'Ring twice' }

export function priceOf(service: Tables<'services'>): number {
  return service.base_price_60min
}

export async function nearby() {
  const { data } = await supabase.rpc('nearest_vendors', { latitude: 12.97, longitude: 77.59 })
  return data?.map((v) => v.business_name)
}

// The types must refuse what the schema does not have.
// @ts-expect-error bookings has no column price_paise
export const wrongColumn: Tables<'bookings'>['price_paise'] = 1
// @ts-expect-error there is no table named booking
export const wrongTable: Tables<'booking'> = {}
